/**
 * What the messenger asks on every item about the directory (ARCHITECTURE "Messaging
 * performance"): is this user us or a friend, which devices of a user are active, which active
 * device of ours or a friend's owns this signing key. These change only with pairing, an
 * identity-log update or a revocation, so answers are kept in memory and all dropped on the
 * events those publish. Only positive answers are kept: an unknown signer or a stranger is
 * asked of the database again, so a friend or device added between the change and its event
 * is never refused from a stale answer. A lookup that started before a drop does not store
 * its answer.
 */
import { toHex } from '@kith/core/crypto/index';
import type { AgentEvent } from '../event-bus.ts';
import type { PeerNode } from '../peer/peer-node.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';

/** Events after which the cached answers may be wrong (peer-node.ts, pairing-service.ts). */
export const DIRECTORY_EVENTS: ReadonlySet<string> = new Set([
  'friend.added',
  'friend.removed',
  'identity.updated',
  'device.revoked',
  'pairing.completed',
]);

export class DirectoryCache {
  #generation = 0;
  readonly #related = new Set<string>();
  readonly #devices = new Map<string, DeviceRow[]>();
  readonly #signers = new Map<string, DeviceRow>();

  constructor(private readonly node: PeerNode) {}

  onEvent(e: AgentEvent): void {
    if (DIRECTORY_EVENTS.has(e.type)) this.clear();
  }

  clear(): void {
    this.#generation++;
    this.#related.clear();
    this.#devices.clear();
    this.#signers.clear();
  }

  /** This device's own user, or a friend. */
  async isRelated(userId: string): Promise<boolean> {
    if (userId === this.node.userId || this.#related.has(userId)) return true;
    const gen = this.#generation;
    const yes = await this.node.friends.isFriend(userId);
    if (yes && gen === this.#generation) this.#related.add(userId);
    return yes;
  }

  /** A user's active devices. */
  async activeDevices(userId: string): Promise<DeviceRow[]> {
    const cached = this.#devices.get(userId);
    if (cached) return cached;
    const gen = this.#generation;
    const rows = (await this.node.identity.devicesOf(userId)).filter((d) => d.status === 'active');
    if (gen === this.#generation) this.#devices.set(userId, rows);
    return rows;
  }

  /** The active device of ours or of a friend that owns this signing key, if any. */
  async signer(signingKey: Uint8Array): Promise<DeviceRow | undefined> {
    const hex = toHex(signingKey);
    const cached = this.#signers.get(hex);
    if (cached) return cached;
    const gen = this.#generation;
    const row = await this.node.identity.deviceBySigningKey(signingKey);
    if (row?.status !== 'active' || !(await this.isRelated(row.userId))) return undefined;
    if (gen === this.#generation) this.#signers.set(hex, row);
    return row;
  }
}
