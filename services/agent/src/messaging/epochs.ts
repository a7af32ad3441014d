/**
 * This device's epoch keys (docs/DESIGN.md §5): the current epoch per conversation, kept in
 * memory (count included) and rotated when the keys it is sealed to change (member devices,
 * their prekeys) or it is old or full, and the epoch keys this device holds, opened once and
 * cached for reading. Keys are stored under their erasure bucket (keystore/erasure-keys.ts) so
 * the sweep (secrecy-sweep.ts) can forget them for good.
 */
import { toHex } from '@kith/core/crypto/index';
import { recipientsFingerprint, sealEpochKey } from '@kith/core/messaging/epoch-key';
import { itemId } from '@kith/core/messaging/item-id';
import type { ErasureKeys } from '../keystore/erasure-keys.ts';
import type { PeerNode } from '../peer/peer-node.ts';
import { openBox } from '../peer/sealed-box.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import type { EpochKeyRow, MessageRepository } from '../repositories/message-repository.ts';
import type { OwnDevice } from './own-device.ts';
import type { Prekeys } from './prekeys.ts';
import type { SecrecySchedule } from './secrecy-schedule.ts';

/** This device's current epoch for a conversation, kept in memory (count included). */
export interface CurrentEpoch {
  id: Uint8Array;
  key: Uint8Array;
  recipients: string;
  createdAt: number;
  count: number;
}

export class Epochs {
  private readonly epochs = new Map<string, CurrentEpoch>();
  private readonly epochRotations = new Map<string, Promise<CurrentEpoch>>();
  private readonly keyCache = new Map<string, Uint8Array>();

  constructor(
    private readonly node: PeerNode,
    private readonly own: OwnDevice,
    private readonly repo: MessageRepository,
    /** Sends a new epoch's key envelope, stored in the outbox, to its targets. */
    private readonly ship: (envelope: Uint8Array, id: Uint8Array, targets: string[]) => void,
    private readonly prekeys: Prekeys,
    private readonly erasure: ErasureKeys,
    private readonly schedule: SecrecySchedule,
  ) {}

  private get clock() {
    return this.schedule.clock;
  }
  /** The time on the secrecy schedule's clock. */
  now(): number {
    return this.schedule.clock();
  }

  /** This device's epoch for a conversation, rotated when the member devices change or it is old (docs/DESIGN.md §5). */
  async current(conversation: string, targets: DeviceRow[]): Promise<CurrentEpoch> {
    const keys: Uint8Array[] = [];
    for (const t of targets) keys.push(await this.prekeys.sealingKey(t));
    const fingerprint = recipientsFingerprint(keys);
    for (;;) {
      const cached = this.epochs.get(conversation);
      if (cached && this.usable(cached, fingerprint)) return cached;
      // One lookup or rotation per conversation at a time; the others wait for its result.
      const running = this.epochRotations.get(conversation);
      if (running) {
        await running.catch(() => undefined);
        continue;
      }
      const next = this.loadOrRotateEpoch(conversation, targets, keys, fingerprint, cached === undefined);
      this.epochRotations.set(conversation, next);
      try {
        const epoch = await next;
        this.epochs.set(conversation, epoch);
        return epoch;
      } finally {
        this.epochRotations.delete(conversation);
      }
    }
  }

  private usable(e: CurrentEpoch, fingerprint: string): boolean {
    return (
      e.recipients === fingerprint &&
      this.clock() - e.createdAt < this.schedule.epochMaxAgeMs &&
      e.count < this.schedule.epochMaxMessages
    );
  }

  private async loadOrRotateEpoch(
    conversation: string,
    targets: DeviceRow[],
    sealingKeys: Uint8Array[],
    fingerprint: string,
    lookUp: boolean,
  ): Promise<CurrentEpoch> {
    if (lookUp) {
      const latest = await this.repo.latestOwnEpoch(conversation, this.own.deviceId);
      const key = latest ? await this.open(latest) : undefined;
      if (latest && key) {
        const stored: CurrentEpoch = {
          id: latest.epochId,
          key,
          recipients: latest.recipients,
          createdAt: latest.createdAt.getTime(),
          count: latest.messageCount,
        };
        if (this.usable(stored, fingerprint)) return stored;
      }
    }
    const now = this.clock();
    const epoch = { conv: conversation, epoch: this.node.random(16), key: this.node.random(32) };
    const envelope = targets.length
      ? await sealEpochKey(epoch, sealingKeys, this.own.signing, now, this.node.random)
      : undefined;
    const envelopeId = envelope ? itemId(envelope) : undefined;
    await this.repo.insertOwnEpoch(
      {
        epochId: epoch.epoch,
        conversationId: conversation,
        senderDevice: this.own.deviceId,
        ...(await this.sealForStore(epoch.key, now)),
        recipients: fingerprint,
        createdAt: new Date(now),
      },
      envelope && envelopeId
        ? { itemId: envelopeId, item: envelope, targets: targets.map((t) => t.deviceId) }
        : undefined,
    );
    if (envelope && envelopeId) {
      this.ship(
        envelope,
        envelopeId,
        targets.map((t) => t.deviceId),
      );
    }
    return { id: epoch.epoch, key: epoch.key, recipients: fingerprint, createdAt: now, count: 0 };
  }

  /** An epoch key this device holds (its own or a friend's), opened once. */
  async key(epochId: Uint8Array): Promise<Uint8Array | undefined> {
    const hex = toHex(epochId);
    const cached = this.keyCache.get(hex);
    if (cached) return cached;
    const row = await this.repo.epochKey(epochId);
    if (!row) return undefined;
    const key = await this.open(row);
    if (key) this.keyCache.set(hex, key);
    return key;
  }

  /** An epoch key as stored: under the bucket it is erased with (epochs begun at `createdAt`). */
  async sealForStore(
    key: Uint8Array,
    createdAt: number,
  ): Promise<{ keySealed: Uint8Array; eraseBucket: number }> {
    const eraseBucket = this.erasure.bucketFor(
      createdAt + this.schedule.epochMaxAgeMs + this.schedule.epochLateMs,
    );
    return { keySealed: await this.erasure.seal(eraseBucket, 'epoch-key', key), eraseBucket };
  }

  /** A stored epoch key; undefined once its bucket is erased. Rows from before it: storage key only. */
  private async open(row: EpochKeyRow): Promise<Uint8Array | undefined> {
    if (row.eraseBucket === null)
      return openBox(this.node.options.device.storageKey, 'epoch-key', row.keySealed);
    return this.erasure.open(row.eraseBucket, 'epoch-key', row.keySealed);
  }

  /** The sweep erased these epochs: their keys leave memory too. */
  dropErased(epochIds: readonly Uint8Array[]): void {
    const gone = new Set(epochIds.map((id) => toHex(id)));
    for (const hex of gone) this.keyCache.delete(hex);
    for (const [conv, e] of this.epochs) if (gone.has(toHex(e.id))) this.epochs.delete(conv);
  }

  /** The device was locked: epoch keys held in memory go with it. */
  forget(): void {
    this.epochs.clear();
    this.keyCache.clear();
  }
}
