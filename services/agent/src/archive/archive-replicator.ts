/**
 * Archive replication (docs/DESIGN.md §1 "resilient data", §7 "Replication"): every blob this device
 * puts lives on at least `replicas` devices (default 2; the local copy counts). Holders are the
 * user's own other devices first, then friends' devices that relay; each returns a signed
 * storage receipt, kept in the replication ledger (HolderRepository). A repair loop marks
 * copies lost (holder revoked, or unreachable past a grace period), challenges holders to prove
 * possession (SHA-256(nonce || ciphertext)) and re-replicates what has too few good copies.
 *
 * The same service is the holder side: it stores friends' and own devices' blobs against the
 * owner's quota and answers challenges. Decisions: docs/ARCHITECTURE.md "Replication".
 * Retrieval (fetching blobs and lists back, share re-wrap) is archive-fetcher.ts, reached
 * through the methods below (docs/ARCHITECTURE.md "Archive encryption and retrieval").
 */
import { checkPossessionProof, POSSESSION_NONCE_BYTES } from '@kith/core/archive/possession';
import { checkStorageReceipt, signStorageReceipt } from '@kith/core/archive/storage-receipt';
import { toHex } from '@kith/core/crypto/index';
import { isKithError, KithError } from '@kith/core/errors';
import { ARCHIVE_REPLICA_MAX_BYTES } from '@kith/core/wire/archive-store';
import {
  type ArchiveBlobKind,
  type ArchiveIndexName,
  BlobRepository,
  blobInput,
  HolderRepository,
  QuotaRepository,
} from '@kith/archive';
import type { AgentService } from '../components.ts';
import type { ArchiveHandler, PeerNode } from '../peer/peer-node.ts';
import type { ArchiveSessionMessage, PeerSession } from '../peer/peer-session.ts';
import { ArchiveFetcher } from './archive-fetcher.ts';
import { ReplicationLedgerRepository } from '../repositories/replication-ledger-repository.ts';
import { ArchiveHolder } from './archive-holder.ts';
import { assertSealedByOwner } from './archive-sender.ts';
import { SupersededDrops } from './superseded-drops.ts';
import {
  type ArchiveReplicatorOptions,
  type ArchiveStatus,
  DEFAULT_REPLICATOR_OPTIONS,
  type HolderSummary,
  MIN_REPLICAS,
  type PutOptions,
  type PutResult,
  type RepairProgress,
} from './replicator-options.ts';

export {
  type ArchiveReplicatorOptions,
  type ArchiveStatus,
  DEFAULT_REPLICATOR_OPTIONS,
  type HolderSummary,
  intervalScheduler,
  MIN_REPLICAS,
  type PutOptions,
  type PutResult,
  type RepairProgress,
  type RepairScheduler,
} from './replicator-options.ts';

/**
 * A `current` blob is only of use on a holder with its group-1 share, i.e. a friend's device
 * (docs/ARCHITECTURE.md "Archive encryption and retrieval"), so friends' devices come first for
 * it — in a repair pass too, where the archivist's `preferHolders` is not known. Other kinds keep
 * the given order (own devices first). Stable: the order inside each group is kept.
 */
export function holderOrder<T extends { userId: string }>(
  kind: ArchiveBlobKind,
  sessions: readonly T[],
  ownUserId: string,
): T[] {
  if (kind !== 'current') return [...sessions];
  const own = (s: T) => Number(s.userId === ownUserId);
  return [...sessions].sort((a, b) => own(a) - own(b));
}

interface Pending {
  blobId: Uint8Array;
  deviceId: string;
  sentAt: number;
}

const hex = (b: Uint8Array) => toHex(b);

export class ArchiveReplicator implements AgentService, ArchiveHandler {
  readonly name = 'archive-replicator';
  readonly options: ArchiveReplicatorOptions;
  readonly blobs: BlobRepository;
  readonly holders: HolderRepository;
  /** Retrieval: blobs, lists and key shares from other devices (archive-fetcher.ts). */
  readonly fetcher: ArchiveFetcher;
  private readonly pendingStores = new Map<string, Pending>();
  private readonly pendingChallenges = new Map<string, Pending>();
  /** device -> refused until (clock ms); a refusing holder is not asked again for a while. */
  private readonly refusedUntil = new Map<string, number>();
  private readonly offlineSince = new Map<string, number>();
  private readonly holder: ArchiveHolder;
  /** Old copies of re-wrapped items, deleted here and on holders (superseded-drops.ts). */
  readonly superseded: SupersededDrops;
  private readonly ledger: ReplicationLedgerRepository;
  private cancel: (() => void) | undefined;
  private repairing: Promise<void> | undefined;
  private progress: Omit<RepairProgress, 'pendingStores' | 'pendingChallenges'> = {
    running: false,
    total: 0,
    done: 0,
    lastPassAt: null,
  };

  constructor(
    private readonly node: PeerNode,
    options: Partial<ArchiveReplicatorOptions> = {},
  ) {
    this.options = { ...DEFAULT_REPLICATOR_OPTIONS, ...options };
    if (!Number.isInteger(this.options.replicas) || this.options.replicas < MIN_REPLICAS) {
      throw new KithError(
        'INVALID_INPUT',
        `The replication factor is a whole number, ${MIN_REPLICAS} or more.`,
      );
    }
    const { db, clock } = node.options.components;
    const quotas = new QuotaRepository(db.db, clock, { defaults: this.options.quotaDefaults });
    this.blobs = new BlobRepository(db.db, clock, { quotas });
    this.holders = new HolderRepository(db.db, clock);
    this.fetcher = new ArchiveFetcher(node, this.blobs, this.holders, {
      replyTimeoutMs: this.options.replyTimeoutMs,
      holdForFriends: this.options.holdForFriends,
      replicas: this.options.replicas,
      graceMs: this.options.graceMs,
    });
    this.holder = new ArchiveHolder(node, this.blobs, this.options);
    this.superseded = new SupersededDrops(node, this.blobs, this.holders, this.options.replicas);
    this.ledger = new ReplicationLedgerRepository(db.db);
    node.archive = this;
  }

  private get clock() {
    return this.node.clock;
  }
  private get me() {
    return this.node.deviceId;
  }
  private get log() {
    return this.node.log;
  }

  async start(): Promise<void> {
    this.cancel = this.options.scheduler(() => void this.repair(), this.options.repairIntervalMs);
    this.fetcher.lists.start();
  }

  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
    this.fetcher.stop();
    await this.repairing;
  }

  // --- owner side ----------------------------------------------------------------------------

  /**
   * Stores a blob of this device's user locally (the local copy, with this device's own
   * receipt) and sends copies to as many holders as the replication factor still needs.
   */
  async put(kind: ArchiveBlobKind, ciphertext: Uint8Array, options?: PutOptions): Promise<PutResult>;
  async put(input: { kind: ArchiveBlobKind; ciphertext: Uint8Array } & PutOptions): Promise<PutResult>;
  async put(
    kindOrInput: ArchiveBlobKind | ({ kind: ArchiveBlobKind; ciphertext: Uint8Array } & PutOptions),
    bytes?: Uint8Array,
    putOptions: PutOptions = {},
  ): Promise<PutResult> {
    const { kind, ciphertext, preferHolders, copies } =
      typeof kindOrInput === 'string'
        ? { kind: kindOrInput, ciphertext: bytes!, ...putOptions }
        : kindOrInput;
    if (!(ciphertext instanceof Uint8Array)) throw new KithError('INVALID_INPUT', 'The ciphertext is bytes.');
    if (ciphertext.length > ARCHIVE_REPLICA_MAX_BYTES) {
      throw new KithError(
        'ARCHIVE_BLOB_TOO_LARGE',
        `It has ${ciphertext.length} bytes; a replicated blob has at most ${ARCHIVE_REPLICA_MAX_BYTES}.`,
      );
    }
    await assertSealedByOwner(this.node.identity, ciphertext, this.node.userId); // holders check it too
    const input = blobInput(this.node.userId, kind, ciphertext);
    const status = await this.blobs.put(input);
    await this.holders.recordReceipt({
      ownerId: input.ownerId,
      blobId: input.id,
      deviceId: this.me,
      receipt: signStorageReceipt(
        { blob: input.id, owner: input.ownerId, size: ciphertext.length, at: this.clock() },
        this.node.options.device.keys.signing,
      ),
    });
    const sentTo = await this.replicate(
      input.id,
      async () => ({ ciphertext, kind }),
      await this.candidates(preferHolders),
      Math.max(this.options.replicas, (copies ?? 0) + 1),
    );
    return { id: hex(input.id), size: ciphertext.length, status, sentTo };
  }

  /**
   * Sends copies of one blob to holders until held + pending copies reach the factor. The bytes
   * are read only when a copy is actually sent (a pass with no holder online reads none).
   */
  private async replicate(
    blobId: Uint8Array,
    load: () => Promise<{ ciphertext: Uint8Array; kind: ArchiveBlobKind } | undefined>,
    online: readonly PeerSession[],
    replicas = this.options.replicas,
  ): Promise<string[]> {
    const ledger = await this.holders.holdersOf(blobId);
    const held = new Set(ledger.filter((h) => h.status === 'held').map((h) => h.deviceId));
    const key = hex(blobId);
    const pending = new Set(
      [...this.pendingStores.values()].filter((p) => hex(p.blobId) === key).map((p) => p.deviceId),
    );
    let need = replicas - held.size - pending.size;
    if (need <= 0) return [];
    // Devices that held a copy before (failed or lost) are asked last.
    const before = new Set(ledger.map((h) => h.deviceId));
    const now = this.clock();
    const candidates = online.filter(
      (s) =>
        !held.has(s.deviceId) && !pending.has(s.deviceId) && (this.refusedUntil.get(s.deviceId) ?? 0) <= now,
    );
    candidates.sort((a, b) => Number(before.has(a.deviceId)) - Number(before.has(b.deviceId)));
    const sent: string[] = [];
    if (candidates.length === 0) return sent;
    const blob = await load();
    if (!blob) return sent;
    const { ciphertext, kind } = blob;
    for (const session of holderOrder(kind, candidates, this.node.userId)) {
      if (need <= 0) break;
      const ok = session.send({
        v: 1,
        t: 'archive-store',
        blob: blobId,
        owner: this.node.userId,
        kind,
        ciphertext,
      });
      if (!ok) continue;
      this.pendingStores.set(`${key}/${session.deviceId}`, {
        blobId,
        deviceId: session.deviceId,
        sentAt: now,
      });
      sent.push(session.deviceId);
      need -= 1;
    }
    return sent;
  }

  /**
   * Online holders in preference order: `prefer` (in its order), then own devices, then
   * friends' devices (by device id).
   */
  private async candidates(prefer: readonly string[] = []): Promise<PeerSession[]> {
    const out: PeerSession[] = [];
    for (const s of this.node.onlineSessions()) {
      const row = await this.node.identity.device(s.deviceId);
      if (row?.status !== 'active') continue;
      if (s.userId !== this.node.userId && !(await this.node.friends.isFriend(s.userId))) continue;
      out.push(s);
    }
    const rank = (s: PeerSession) => {
      const i = prefer.indexOf(s.deviceId);
      return i >= 0 ? i : prefer.length + (s.userId === this.node.userId ? 0 : 1);
    };
    return out.sort((a, b) => rank(a) - rank(b) || (a.deviceId < b.deviceId ? -1 : 1));
  }

  // --- retrieval (archive-fetcher.ts) --------------------------------------------------------

  /** A blob of this user, from the local store or a device holding it; see ArchiveFetcher. */
  fetchBlob(blobId: Uint8Array, opts?: { rewrap?: boolean; from?: string[] }) {
    return this.fetcher.fetchBlob(blobId, opts);
  }

  /** The newest version of one of this user's lists (local or any online device). */
  fetchIndex(name: ArchiveIndexName, opts?: { rewrap?: boolean }) {
    return this.fetcher.fetchIndex(name, opts);
  }

  /** Stores a new version of a list locally and pushes it to online own and friends' devices. */
  putIndex(name: ArchiveIndexName, ciphertext: Uint8Array) {
    return this.fetcher.lists.put(name, ciphertext);
  }

  /** Each list's version here and how many devices hold it (list-placement.ts). */
  indexPlacement() {
    return this.fetcher.lists.views();
  }

  /** Pushes every list that too few devices hold again, to the online devices lacking it. */
  placeIndexes() {
    return this.fetcher.lists.repair();
  }

  /** That own device's key share of a history item, re-wrapped to this device and opened. */
  requestShare(deviceId: string, blobId: Uint8Array) {
    return this.fetcher.requestShare(deviceId, blobId);
  }

  private async onReceipt(session: PeerSession, blobId: Uint8Array, receipt: Uint8Array): Promise<void> {
    const key = `${hex(blobId)}/${session.deviceId}`;
    this.pendingStores.delete(key);
    const blob = await this.blobs.get(this.node.userId, blobId);
    const device = await this.node.identity.device(session.deviceId);
    if (!blob || !device) return;
    // Only blobs this device replicates (it has a ledger row for its own copy) take receipts.
    if ((await this.holders.holdersOf(blobId)).length === 0) return;
    try {
      checkStorageReceipt(receipt, {
        blob: blobId,
        // A device with relay keys signs with its relay key (docs/SECURITY.md "Locked relay mode").
        holder: (await this.node.relaySignerOf(session.deviceId)) ?? device.signingPublicKey,
        owner: this.node.userId,
        size: blob.size,
      });
    } catch (err) {
      this.log.warn(
        { peer: session.deviceId, code: isKithError(err) ? err.code : undefined },
        'archive: receipt refused',
      );
      return;
    }
    await this.holders.recordReceipt({
      ownerId: this.node.userId,
      blobId,
      deviceId: session.deviceId,
      receipt,
    });
    this.node.options.events.publish('archive.replicated', { blob: hex(blobId), holder: session.deviceId });
  }

  private async onProof(
    session: PeerSession,
    message: Extract<ArchiveSessionMessage, { t: 'archive-proof' }>,
  ) {
    const key = hex(message.nonce);
    const pending = this.pendingChallenges.get(key);
    if (!pending || pending.deviceId !== session.deviceId || hex(pending.blobId) !== hex(message.blob))
      return;
    this.pendingChallenges.delete(key);
    const blob = await this.blobs.get(this.node.userId, message.blob);
    if (!blob) return;
    const passed =
      message.proof !== undefined && checkPossessionProof(message.nonce, blob.ciphertext, message.proof);
    await this.recordCheck(message.blob, session.deviceId, passed);
  }

  private async recordCheck(blobId: Uint8Array, deviceId: string, passed: boolean): Promise<void> {
    await this.holders.recordCheck(blobId, deviceId, passed);
    this.node.options.events.publish('archive.checked', { blob: hex(blobId), holder: deviceId, passed });
    if (!passed) this.log.warn({ peer: deviceId, blob: hex(blobId) }, 'archive: possession check failed');
  }

  /** Old blobs a re-wrap listed others in place of (superseded-drops.ts). */
  supersede(pairs: readonly { old: string; by: string }[]): Promise<void> {
    return this.superseded.add(pairs);
  }

  // --- holder side ---------------------------------------------------------------------------

  async onArchive(session: PeerSession, message: ArchiveSessionMessage): Promise<void> {
    if (await this.fetcher.onArchive(session, message)) return;
    switch (message.t) {
      case 'archive-store':
        return this.holder.onStore(session, message);
      case 'archive-receipt':
        return this.onReceipt(session, message.blob, message.receipt);
      case 'archive-refused': {
        this.pendingStores.delete(`${hex(message.blob)}/${session.deviceId}`);
        this.refusedUntil.set(session.deviceId, this.clock() + this.options.graceMs);
        this.node.options.events.publish('archive.refused', {
          blob: hex(message.blob),
          holder: session.deviceId,
          code: message.code,
        });
        return;
      }
      case 'archive-challenge':
        return this.holder.onChallenge(session, message);
      case 'archive-proof':
        return this.onProof(session, message);
      case 'archive-drop':
        return this.superseded.onDrop(session, message);
      case 'archive-dropped':
        return this.superseded.onDropped(session, message);
    }
  }

  // --- repair --------------------------------------------------------------------------------

  /** One repair pass (the loop calls it; tests may too). Passes never overlap. */
  repair(): Promise<void> {
    if (!this.repairing) {
      this.repairing = this.#repair()
        .catch((err) => this.log.warn({ err }, 'archive: repair pass failed'))
        .finally(() => {
          this.repairing = undefined;
        });
    }
    return this.repairing;
  }

  async #repair(): Promise<void> {
    const now = this.clock();
    await this.markLostHolders(now);
    await this.expirePending(now);
    await this.challengeDue(now);
    const under = await this.underReplicatedIds(500);
    if (under.length > 0 && !this.progress.running) {
      this.progress = { ...this.progress, running: true, total: under.length, done: 0 };
    } else if (this.progress.running) {
      this.progress = { ...this.progress, total: Math.max(this.progress.total, under.length) };
    }
    const online = under.length === 0 ? [] : await this.candidates();
    for (const id of under) await this.replicate(id, () => this.blobs.get(this.node.userId, id), online);
    await this.fetcher.lists.repair();
    await this.superseded.flush();
    const remaining = under.length === 0 ? 0 : await this.countUnderReplicated();
    if (this.progress.running) {
      this.progress = {
        ...this.progress,
        done: Math.max(0, this.progress.total - remaining),
        running: remaining > 0,
      };
      this.node.options.events.publish('archive.repair', {
        underReplicated: remaining,
        total: this.progress.total,
        done: this.progress.done,
        pending: this.pendingStores.size,
      });
    }
    this.progress = { ...this.progress, lastPassAt: new Date(now).toISOString() };
  }

  /** Copies on revoked devices, and on devices unreachable past the grace period, are lost. */
  private async markLostHolders(now: number): Promise<void> {
    for (const deviceId of await this.ledger.watchedHolders(this.me)) {
      const device = await this.node.identity.device(deviceId);
      let reason: string | undefined;
      if (device?.status !== 'active') reason = 'revoked';
      else if (this.node.isOnline(deviceId)) this.offlineSince.delete(deviceId);
      else {
        const since = this.offlineSince.get(deviceId) ?? now;
        this.offlineSince.set(deviceId, since);
        if (now - since >= this.options.graceMs) reason = 'unreachable';
      }
      if (!reason) continue;
      const copies = await this.holders.markLost(deviceId);
      this.offlineSince.delete(deviceId);
      this.log.info({ peer: deviceId, copies, reason }, 'archive: holder lost');
      this.node.options.events.publish('archive.holder-lost', { holder: deviceId, copies, reason });
    }
  }

  private async expirePending(now: number): Promise<void> {
    const limit = now - this.options.replyTimeoutMs;
    for (const [key, p] of this.pendingStores) if (p.sentAt <= limit) this.pendingStores.delete(key);
    for (const [key, p] of this.pendingChallenges) {
      if (p.sentAt > limit) continue;
      this.pendingChallenges.delete(key);
      // An online holder that does not answer is treated as not holding the copy.
      if (this.node.isOnline(p.deviceId)) await this.recordCheck(p.blobId, p.deviceId, false);
    }
  }

  /** Challenges held copies whose last check (or receipt) is older than the check interval. */
  private async challengeDue(now: number, olderThanMs = this.options.checkIntervalMs): Promise<number> {
    const before = new Date(now - olderThanMs).toISOString();
    let sent = 0;
    const rows = await this.ledger.dueForCheck(this.me, before);
    for (const row of rows) {
      const session = this.node.session(row.device_id);
      const blobId = new Uint8Array(row.blob_id);
      if (!session) continue;
      if (
        [...this.pendingChallenges.values()].some(
          (p) => p.deviceId === row.device_id && hex(p.blobId) === hex(blobId),
        )
      )
        continue;
      const nonce = this.node.random(POSSESSION_NONCE_BYTES);
      if (session.send({ v: 1, t: 'archive-challenge', blob: blobId, nonce })) {
        this.pendingChallenges.set(hex(nonce), { blobId, deviceId: row.device_id, sentAt: now });
        sent += 1;
      }
    }
    return sent;
  }

  /** Challenges every held remote copy on an online holder now; returns how many were sent. */
  async checkAll(): Promise<number> {
    return this.challengeDue(this.clock(), 0);
  }

  // --- views ---------------------------------------------------------------------------------

  private underReplicatedIds(limit: number): Promise<Uint8Array[]> {
    return this.ledger.underReplicatedIds(this.options.replicas, limit);
  }

  private countUnderReplicated(): Promise<number> {
    return this.ledger.countUnderReplicated(this.options.replicas);
  }

  async status(): Promise<ArchiveStatus> {
    const byCopies = await this.ledger.byCopies();
    const copies: Record<string, number> = {};
    let items = 0;
    let bytes = 0;
    let underReplicated = 0;
    for (const row of byCopies) {
      const n = Number(row.items);
      copies[String(Number(row.copies))] = n;
      items += n;
      bytes += Number(row.bytes);
      if (Number(row.copies) < this.options.replicas) underReplicated += n;
    }
    const perHolder = await this.ledger.perHolder();
    const holders = new Map<string, HolderSummary>();
    for (const row of perHolder) {
      let h = holders.get(row.device_id);
      if (!h) {
        const device = await this.node.identity.device(row.device_id);
        h = {
          deviceId: row.device_id,
          userId: device?.userId ?? null,
          own: device?.userId === this.node.userId,
          self: row.device_id === this.me,
          online: row.device_id === this.me || this.node.isOnline(row.device_id),
          held: 0,
          failed: 0,
          lost: 0,
        };
        holders.set(row.device_id, h);
      }
      if (row.status === 'held' || row.status === 'failed' || row.status === 'lost')
        h[row.status] = Number(row.n);
    }
    const heldForOthers = await this.ledger.heldForOthers();
    return {
      replicas: this.options.replicas,
      items,
      bytes,
      copies,
      holders: [...holders.values()],
      underReplicated,
      repair: {
        ...this.progress,
        running: this.progress.running && underReplicated > 0,
        pendingStores: this.pendingStores.size,
        pendingChallenges: this.pendingChallenges.size,
      },
      heldForOthers,
      lists: await this.fetcher.lists.views(),
    };
  }
}
