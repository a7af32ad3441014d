/**
 * Placement of this user's two lists (docs/ARCHITECTURE.md "List placement"): a new version is
 * stored here and pushed with `archive-index-put` to own and friends' devices; the devices whose
 * signed receipt (or fetched answer) shows they hold the version this device has are counted, and
 * while some device that may hold it lacks it the version is pushed again — on every repair pass
 * and when a device comes online. `wanted` (what `kith archive status --wait` waits for) is the
 * replication factor, capped by the devices that may hold it. A holder that keeps a higher or
 * competing version refuses with ARCHIVE_VERSION_CONFLICT: the list is then marked `conflict`,
 * so the archivist's next pass fetches, merges and writes a newer version (archivist.ts).
 *
 * What is counted lives in memory: after a restart every list counts as short and is pushed once
 * more (a holder that has the version answers `present` with a fresh receipt).
 */
import { checkStorageReceipt } from '@kith/core/archive/storage-receipt';
import { toHex } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { ARCHIVE_REPLICA_MAX_BYTES } from '@kith/core/wire/archive-store';
import type { ArchiveIndexName, IndexRepository } from '@kith/archive';
import type { PeerNode } from '../peer/peer-node.ts';
import type { ArchiveSessionMessage, PeerSession } from '../peer/peer-session.ts';

type Msg<T extends ArchiveSessionMessage['t']> = Extract<ArchiveSessionMessage, { t: T }>;

export const LIST_NAMES: readonly ArchiveIndexName[] = ['conversations', 'active'];

/** Refusals that mean "this device will not hold your lists" (not worth asking again soon). */
const WILL_NOT_HOLD = new Set(['ARCHIVE_NOT_HOLDING', 'ARCHIVE_QUOTA_EXCEEDED', 'ARCHIVE_BLOB_TOO_LARGE']);

/** Index blobs pushed recently, so their receipts and refusals are not taken for replication's. */
const RECENT_INDEX_PUSHES = 256;

/** One list as `kith archive status` shows it. */
export interface ListPlacementView {
  name: ArchiveIndexName;
  version: number;
  /** Other devices confirmed to hold this version. */
  holders: number;
  /** How many should: the replication factor, or fewer when fewer devices can hold it. */
  wanted: number;
  /** A holder keeps a version this device has not merged: the archivist writes a newer one. */
  conflict: boolean;
}

interface Placed {
  blob: string;
  version: number;
  size: number;
  held: Set<string>;
  /** Devices that will not hold this version (relay setting off, over quota). */
  refused: Set<string>;
  conflict: boolean;
}

const hex = (b: Uint8Array) => toHex(b);

export class ListPlacement {
  private readonly placed = new Map<ArchiveIndexName, Placed>();
  /** `${blob hex}/${device}` -> settle of a push this device waits for (putIndex). */
  private readonly waiting = new Map<string, (held: boolean) => void>();
  private readonly recent: string[] = [];
  private unsubscribe: (() => void) | undefined;
  /** device -> when it went offline (devices not seen since the start: the start). */
  private readonly offlineSince = new Map<string, number>();
  private startedAt = 0;

  constructor(
    private readonly node: PeerNode,
    private readonly indexes: IndexRepository,
    private readonly options: {
      replicas: number;
      replyTimeoutMs: number;
      /** A device offline this long no longer counts as one that may hold a list (as for blobs). */
      graceMs: number;
      /** Online active own and friends' devices, own first. */
      online: () => Promise<PeerSession[]>;
    },
  ) {}

  private get user() {
    return this.node.userId;
  }

  /** Pushes short lists to a device as soon as it comes online. */
  start(): void {
    this.startedAt = this.node.clock();
    this.unsubscribe ??= this.node.options.events.subscribe((e) => {
      if (typeof e.data.deviceId !== 'string') return;
      const deviceId = e.data.deviceId;
      if (e.type === 'peer.offline') this.offlineSince.set(deviceId, this.node.clock());
      if (e.type !== 'peer.online') return;
      this.offlineSince.delete(deviceId);
      void this.repair(deviceId).catch((err) => this.node.log.warn({ err }, 'archive: list push failed'));
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const settle of this.waiting.values()) settle(false);
    this.waiting.clear();
  }

  /**
   * A new version of one of this user's lists: stored locally on top of the local version (call
   * fetchIndex first to merge the newest), then pushed to every online own and friend device.
   * `heldBy` lists the devices whose signed receipt arrived before the reply timeout.
   */
  async put(
    name: ArchiveIndexName,
    ciphertext: Uint8Array,
  ): Promise<{ version: number; sentTo: string[]; heldBy: string[] }> {
    if (ciphertext.length > ARCHIVE_REPLICA_MAX_BYTES) {
      throw new KithError('ARCHIVE_BLOB_TOO_LARGE', `A list has at most ${ARCHIVE_REPLICA_MAX_BYTES} bytes.`);
    }
    const current = await this.indexes.get(this.user, name);
    const stored = await this.indexes.store({
      ownerId: this.user,
      name,
      ciphertext,
      expectedVersion: current?.version ?? 0,
    });
    const entry = this.reset(name, hex(stored.blobId), stored.version, ciphertext.length);
    const waits: Promise<string | undefined>[] = [];
    const sentTo: string[] = [];
    for (const session of await this.options.online()) {
      const wait = this.wait(entry.blob, session.deviceId);
      if (!this.send(session, name, stored.version, ciphertext)) {
        this.waiting.get(`${entry.blob}/${session.deviceId}`)?.(false);
        continue;
      }
      sentTo.push(session.deviceId);
      waits.push(wait);
    }
    const heldBy = (await Promise.all(waits)).filter((d): d is string => d !== undefined);
    return { version: stored.version, sentTo, heldBy };
  }

  /**
   * After a fetch: `devices` answered with the version this device now has (they hold it);
   * `competing` when another device answered the same version with other bytes.
   */
  async confirmed(name: ArchiveIndexName, blob: Uint8Array, devices: string[], competing: boolean) {
    const entry = await this.current(name);
    if (!entry || entry.blob !== hex(blob)) return;
    for (const d of devices) if (d !== this.node.deviceId) entry.held.add(d);
    if (competing) entry.conflict = true;
  }

  /**
   * Pushes each list whose version fewer than `wanted` devices confirmed again, to the online
   * devices that have not confirmed it (only to `only` when given: a device just online).
   */
  async repair(only?: string): Promise<string[]> {
    const sent: string[] = [];
    for (const name of LIST_NAMES) {
      const entry = await this.current(name);
      // Every device that may hold it, not just `wanted`: after losing every device only the
      // friend who gives the invite answers the recovered device at first.
      if (!entry || entry.held.size >= (await this.holdable(entry))) continue;
      const local = await this.indexes.get(this.user, name);
      if (!local || hex(local.blobId) !== entry.blob) continue;
      for (const session of await this.options.online()) {
        const d = session.deviceId;
        if ((only && d !== only) || entry.held.has(d) || entry.refused.has(d)) continue;
        if (this.waiting.has(`${entry.blob}/${d}`)) continue;
        void this.wait(entry.blob, d);
        if (this.send(session, name, local.version, local.ciphertext)) sent.push(d);
        else this.waiting.get(`${entry.blob}/${d}`)?.(false);
      }
    }
    return sent;
  }

  /** Each list this device has, with how many devices hold its version. */
  async views(): Promise<ListPlacementView[]> {
    const out: ListPlacementView[] = [];
    for (const name of LIST_NAMES) {
      const entry = await this.current(name);
      if (!entry) continue;
      out.push({
        name,
        version: entry.version,
        holders: entry.held.size,
        wanted: await this.wanted(entry),
        conflict: entry.conflict,
      });
    }
    return out;
  }

  /**
   * Receipts and refusals of pushed lists (they share archive-store's answers). Returns true
   * when the reply was for a list, so replication does not count it.
   */
  onStoreReply(session: PeerSession, message: Msg<'archive-receipt'> | Msg<'archive-refused'>): boolean {
    const blob = hex(message.blob);
    const name = LIST_NAMES.find((n) => this.placed.get(n)?.blob === blob);
    if (!name) return this.recent.includes(blob);
    const entry = this.placed.get(name)!;
    const settle = (held: boolean) => this.waiting.get(`${blob}/${session.deviceId}`)?.(held);
    if (message.t === 'archive-refused') {
      this.node.log.info({ peer: session.deviceId, code: message.code, list: name }, 'archive: list refused');
      if (message.code === 'ARCHIVE_VERSION_CONFLICT') {
        // Once per version: the archivist's pass it starts writes a newer one.
        if (!entry.conflict) this.node.options.events.publish('archive.list-conflict', { list: name });
        entry.conflict = true;
      } else if (WILL_NOT_HOLD.has(message.code)) entry.refused.add(session.deviceId);
      settle(false);
      return true;
    }
    void this.acceptReceipt(session, message, entry).then(settle, () => settle(false));
    return true;
  }

  private async acceptReceipt(session: PeerSession, message: Msg<'archive-receipt'>, entry: Placed) {
    const device = await this.node.identity.device(session.deviceId);
    if (!device) return false;
    try {
      checkStorageReceipt(message.receipt, {
        blob: message.blob,
        holder: (await this.node.relaySignerOf(session.deviceId)) ?? device.signingPublicKey,
        owner: this.user,
        size: entry.size,
      });
    } catch {
      return false;
    }
    if (this.placed.get(this.nameOf(entry)) === entry) entry.held.add(session.deviceId);
    return true;
  }

  private nameOf(entry: Placed): ArchiveIndexName {
    return LIST_NAMES.find((n) => this.placed.get(n) === entry) ?? 'conversations';
  }

  /** The entry of the list's local version (a new one when the local version changed). */
  private async current(name: ArchiveIndexName): Promise<Placed | undefined> {
    const local = await this.indexes.get(this.user, name);
    if (!local) return undefined;
    const entry = this.placed.get(name);
    if (entry?.blob === hex(local.blobId)) return entry;
    return this.reset(name, hex(local.blobId), local.version, local.ciphertext.length);
  }

  private reset(name: ArchiveIndexName, blob: string, version: number, size: number): Placed {
    const entry: Placed = { blob, version, size, held: new Set(), refused: new Set(), conflict: false };
    this.placed.set(name, entry);
    this.recent.push(blob);
    if (this.recent.length > RECENT_INDEX_PUSHES) this.recent.shift();
    return entry;
  }

  /** The replication factor, capped by the active own and friends' devices that may hold it. */
  private async wanted(entry: Placed): Promise<number> {
    return Math.min(this.options.replicas, await this.holdable(entry));
  }

  /**
   * Active own (but this) and friends' devices that have not refused to hold this version and
   * were online within the grace period.
   */
  private async holdable(entry: Placed): Promise<number> {
    const devices = new Set<string>();
    const users = [this.user, ...(await this.node.friends.list()).map((f) => f.userId)];
    for (const u of users)
      for (const d of await this.node.identity.devicesOf(u))
        if (
          d.status === 'active' &&
          d.deviceId !== this.node.deviceId &&
          !entry.refused.has(d.deviceId) &&
          this.reachable(d.deviceId)
        )
          devices.add(d.deviceId);
    return devices.size;
  }

  /** Online, or offline for less than the grace period (a device gone for good stops counting). */
  private reachable(deviceId: string): boolean {
    if (this.node.isOnline(deviceId)) return true;
    const since = this.offlineSince.get(deviceId) ?? this.startedAt;
    return this.node.clock() - since < this.options.graceMs;
  }

  private wait(blob: string, deviceId: string): Promise<string | undefined> {
    const key = `${blob}/${deviceId}`;
    return new Promise<string | undefined>((resolve) => {
      const settle = (held: boolean) => {
        clearTimeout(timer);
        if (this.waiting.get(key) === settle) this.waiting.delete(key);
        resolve(held ? deviceId : undefined);
      };
      const timer = setTimeout(() => settle(false), this.options.replyTimeoutMs);
      timer.unref?.();
      this.waiting.set(key, settle);
    });
  }

  private send(session: PeerSession, name: ArchiveIndexName, version: number, ciphertext: Uint8Array) {
    return session.send({ v: 1, t: 'archive-index-put', owner: this.user, name, version, ciphertext });
  }
}
