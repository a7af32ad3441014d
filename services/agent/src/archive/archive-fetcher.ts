/**
 * Archive retrieval (docs/DESIGN.md §5 "active-retrieval flow"; docs/ARCHITECTURE.md "Archive encryption
 * and retrieval"; messages in docs/PROTOCOL.md "Archive retrieval").
 *
 * Asking side: fetch a blob or one of this user's two encrypted lists from the devices that
 * hold them, and ask a holder (or own device X/Y) for its key share re-wrapped to this device.
 * Holder side: answer only active devices of the blob's owner; re-wrap only this device's own
 * share, and only of an item its owner's device sealed (archive-sender.ts); keep the highest
 * version of a pushed list that an active device of its owner sealed.
 */
import { openRewrappedShare, rewrapShare } from '@kith/core/archive/archive-seal';
import { signStorageReceipt } from '@kith/core/archive/storage-receipt';
import { toHex } from '@kith/core/crypto/index';
import { envelopeId, unwrapShares, type VerifiedEnvelope, verifyEnvelope } from '@kith/core/envelope';
import { ERROR_CATALOGUE, type ErrorCode, KithError, isKithError } from '@kith/core/errors';
import { ARCHIVE_REPLICA_MAX_BYTES } from '@kith/core/wire/archive-store';
import {
  type ArchiveBlobKind,
  type ArchiveIndexName,
  type BlobRepository,
  contentId,
  type HolderRepository,
  IndexRepository,
} from '@kith/archive';
import type { PeerNode } from '../peer/peer-node.ts';
import type { ArchiveSessionMessage, PeerSession } from '../peer/peer-session.ts';
import { checkArchiveSender, inGroup, releasableGroups, storeRefusal } from './archive-sender.ts';
import { ListPlacement } from './list-placement.ts';

type Msg<T extends ArchiveSessionMessage['t']> = Extract<ArchiveSessionMessage, { t: T }>;

export interface ArchiveFetcherOptions {
  /** A request unanswered this long fails with ARCHIVE_FETCH_TIMEOUT. */
  replyTimeoutMs: number;
  /** Hold friends' lists too (the relay setting); own devices' lists are always kept. */
  holdForFriends: boolean;
  /** Devices other than this one that should hold each list version (list-placement.ts). */
  replicas: number;
  /** A device offline this long stops counting as a list holder (list-placement.ts). */
  graceMs: number;
}

/** What one device answered. `share` is already opened with this device's key. */
export interface Fetched {
  blob: Uint8Array;
  kind: ArchiveBlobKind;
  ciphertext: Uint8Array;
  version?: number;
  share?: Uint8Array;
  /** The device that answered (this device's id for a local copy). */
  from: string;
}

export interface FetchRequest {
  owner: string;
  blob?: Uint8Array;
  index?: ArchiveIndexName;
  rewrap: boolean;
}

interface Pending {
  deviceId: string;
  ask: FetchRequest;
  resolve: (f: Fetched) => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

const hex = (b: Uint8Array) => toHex(b);

function errorFromCode(code: string, detail?: string): KithError {
  const known = Object.hasOwn(ERROR_CATALOGUE, code) ? (code as ErrorCode) : 'ARCHIVE_NOT_FOUND';
  return new KithError(known, detail);
}

export class ArchiveFetcher {
  readonly indexes: IndexRepository;
  private readonly pending = new Map<string, Pending>();
  /** Where this user's lists are held, and pushing them again while short (list-placement.ts). */
  readonly lists: ListPlacement;

  constructor(
    private readonly node: PeerNode,
    private readonly blobs: BlobRepository,
    private readonly holders: HolderRepository,
    private readonly options: ArchiveFetcherOptions,
  ) {
    const { db, clock } = node.options.components;
    this.indexes = new IndexRepository(db.db, clock, { blobs });
    this.lists = new ListPlacement(node, this.indexes, {
      replicas: options.replicas,
      replyTimeoutMs: options.replyTimeoutMs,
      graceMs: options.graceMs,
      online: () => this.online(),
    });
  }

  private get me() {
    return this.node.deviceId;
  }
  private get user() {
    return this.node.userId;
  }
  private get log() {
    return this.node.log;
  }

  /** Fails every request still waiting (the node is stopping). */
  stop(): void {
    for (const [key, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(key);
      p.reject(new KithError('LINK_CLOSED', 'The node is stopping.'));
    }
    this.lists.stop();
  }

  // --- asking side ---------------------------------------------------------------------------

  /** Online active devices of this user and of friends: own first, then friends (by device id). */
  private async online(): Promise<PeerSession[]> {
    const out: PeerSession[] = [];
    for (const s of this.node.onlineSessions()) {
      const row = await this.node.identity.device(s.deviceId);
      if (row?.status !== 'active') continue;
      if (s.userId !== this.user && !(await this.node.friends.isFriend(s.userId))) continue;
      out.push(s);
    }
    const own = (s: PeerSession) => (s.userId === this.user ? 0 : 1);
    return out.sort((a, b) => own(a) - own(b) || (a.deviceId < b.deviceId ? -1 : 1));
  }

  /** Where to look for a blob: holders in the ledger, then online own devices, then friends. */
  private async sources(blobId: Uint8Array): Promise<string[]> {
    const ledger = (await this.holders.holdersOf(blobId))
      .filter((h) => h.status === 'held' && h.deviceId !== this.me && this.node.isOnline(h.deviceId))
      .map((h) => h.deviceId);
    const rest = (await this.online()).map((s) => s.deviceId);
    return [...new Set([...ledger, ...rest])];
  }

  /** One archive-fetch to one device; resolves with its answer or rejects with its refusal. */
  request(deviceId: string, ask: FetchRequest): Promise<Fetched> {
    if ((ask.blob === undefined) === (ask.index === undefined)) {
      return Promise.reject(new KithError('INVALID_INPUT', 'Fetch either a blob or a list.'));
    }
    const session = this.node.session(deviceId);
    if (!session) return Promise.reject(new KithError('LINK_CLOSED', `${deviceId} is not online.`));
    const requestId = this.node.random(16);
    const key = hex(requestId);
    return new Promise<Fetched>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new KithError('ARCHIVE_FETCH_TIMEOUT', `No answer from ${deviceId}.`));
      }, this.options.replyTimeoutMs);
      timer.unref?.();
      this.pending.set(key, { deviceId, ask, resolve, reject, timer });
      const sent = session.send({
        v: 1,
        t: 'archive-fetch',
        requestId,
        owner: ask.owner,
        ...(ask.blob ? { blob: ask.blob } : {}),
        ...(ask.index ? { index: ask.index } : {}),
        rewrap: ask.rewrap,
      });
      if (!sent) {
        clearTimeout(timer);
        this.pending.delete(key);
        reject(new KithError('LINK_CLOSED', `Could not send to ${deviceId}.`));
      }
    });
  }

  /**
   * One blob of this user. Without `rewrap`: the local copy first, else the first device that
   * has it. With `rewrap`: the first device whose answer carries its share (else the first
   * answer, else the local copy). `from` limits the devices asked (and skips the local copy).
   */
  async fetchBlob(blobId: Uint8Array, opts: { rewrap?: boolean; from?: string[] } = {}): Promise<Fetched> {
    const rewrap = opts.rewrap === true;
    const local = async (): Promise<Fetched | undefined> => {
      const b = await this.blobs.get(this.user, blobId);
      if (!b) return undefined;
      return { blob: b.id, kind: b.kind, ciphertext: b.ciphertext, from: this.me };
    };
    if (!opts.from && !rewrap) {
      const got = await local();
      if (got) return got;
    }
    const sources = opts.from ?? (await this.sources(blobId));
    let first: Fetched | undefined;
    const errors: unknown[] = [];
    for (const deviceId of sources) {
      try {
        const got = await this.request(deviceId, { owner: this.user, blob: blobId, rewrap });
        if (!rewrap || got.share) return got;
        first ??= got;
      } catch (err) {
        errors.push(err);
      }
    }
    if (first) return first;
    if (!opts.from) {
      const got = await local();
      if (got) return got;
    }
    const codes = new Set(errors.map((e) => (isKithError(e) ? e.code : 'INTERNAL')));
    if (codes.size === 1 && errors[0] && isKithError(errors[0])) throw errors[0];
    throw new KithError('ARCHIVE_NOT_FOUND', `Asked ${sources.length} device(s).`);
  }

  /**
   * The newest version of one of this user's lists: the local one or any online own or friend
   * device's. A newer remote version is adopted locally (so a later putIndex continues it).
   */
  async fetchIndex(
    name: ArchiveIndexName,
    opts: { rewrap?: boolean } = {},
  ): Promise<{ ciphertext: Uint8Array; version: number; share?: Uint8Array; from: string } | undefined> {
    const rewrap = opts.rewrap === true;
    const local = await this.indexes.get(this.user, name);
    const targets = await this.online();
    const answers = (
      await Promise.allSettled(
        targets.map((s) => this.request(s.deviceId, { owner: this.user, index: name, rewrap })),
      )
    ).flatMap((r) => (r.status === 'fulfilled' && r.value.version !== undefined ? [r.value] : []));
    // A list has no id known in advance: only one signed by a device of this user counts, so a
    // holder cannot pass off other bytes as a newer version.
    const signed = await Promise.all(answers.map((a) => this.signedByOwnDevice(a.ciphertext)));
    const genuine = answers.filter((_, i) => signed[i]);
    let best: { blob: Uint8Array; ciphertext: Uint8Array; version: number; from: string } | undefined = local
      ? { blob: local.blobId, ciphertext: local.ciphertext, version: local.version, from: this.me }
      : undefined;
    for (const a of genuine) {
      if (!best || a.version! > best.version) {
        best = { blob: a.blob, ciphertext: a.ciphertext, version: a.version!, from: a.from };
      }
    }
    if (!best) return undefined;
    if (best.from !== this.me) {
      try {
        await this.indexes.storeNewer({
          ownerId: this.user,
          name,
          version: best.version,
          ciphertext: best.ciphertext,
        });
      } catch (err) {
        // Still returned: only the local copy stays behind (e.g. over this device's quota).
        this.log.warn(
          { code: isKithError(err) ? err.code : undefined },
          'archive: could not keep a newer list',
        );
      }
    }
    const chosen = best;
    // Who answered with this version holds it; an answer of the same version with other bytes
    // (two own devices wrote at once) is a conflict the archivist settles with a newer version.
    const same = (a: Fetched) => hex(a.blob) === hex(chosen.blob);
    await this.lists.confirmed(
      name,
      chosen.blob,
      genuine.filter(same).map((a) => a.from),
      genuine.some((a) => !same(a) && a.version! >= chosen.version),
    );
    const share = rewrap
      ? genuine.find((a) => a.share && hex(a.blob) === hex(chosen.blob))?.share
      : undefined;
    return {
      ciphertext: chosen.ciphertext,
      version: chosen.version,
      from: chosen.from,
      ...(share ? { share } : {}),
    };
  }

  private async signedByOwnDevice(ciphertext: Uint8Array): Promise<boolean> {
    try {
      const { sender } = verifyEnvelope(ciphertext);
      return (await this.node.identity.deviceBySigningKey(sender))?.userId === this.user;
    } catch {
      return false;
    }
  }

  /** Device `deviceId` (own device X or Y of a history item) re-wraps its share to this device. */
  async requestShare(deviceId: string, blobId: Uint8Array): Promise<Uint8Array> {
    const got = await this.request(deviceId, { owner: this.user, blob: blobId, rewrap: true });
    if (!got.share) throw new KithError('ARCHIVE_NO_SHARE', `Asked ${deviceId}.`);
    return got.share;
  }

  private async onFetched(session: PeerSession, message: Msg<'archive-fetched'>): Promise<void> {
    const key = hex(message.requestId);
    const p = this.pending.get(key);
    if (!p || p.deviceId !== session.deviceId) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    const id = contentId(message.ciphertext);
    if (hex(id) !== hex(message.blob) || (p.ask.blob && hex(p.ask.blob) !== hex(id))) {
      p.reject(new KithError('ARCHIVE_BLOB_ID_MISMATCH', `From ${session.deviceId}.`));
      return;
    }
    if ((p.ask.index !== undefined) !== (message.version !== undefined)) {
      p.reject(
        new KithError('INVALID_INPUT', `A list answer carries its version (from ${session.deviceId}).`),
      );
      return;
    }
    let share: Uint8Array | undefined;
    if (message.share && p.ask.rewrap) {
      try {
        share = await openRewrappedShare({
          envelopeId: envelopeId(message.ciphertext),
          wrapped: message.share,
          key: this.node.options.device.keys.agreement,
        });
      } catch (err) {
        this.log.warn(
          { peer: session.deviceId, code: isKithError(err) ? err.code : undefined },
          'archive: a handed-over share did not open',
        );
      }
    }
    p.resolve({
      blob: id,
      kind: message.kind,
      ciphertext: message.ciphertext,
      ...(message.version !== undefined ? { version: message.version } : {}),
      ...(share ? { share } : {}),
      from: session.deviceId,
    });
  }

  private onFetchRefused(session: PeerSession, message: Msg<'archive-fetch-refused'>): void {
    const key = hex(message.requestId);
    const p = this.pending.get(key);
    if (!p || p.deviceId !== session.deviceId) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    p.reject(errorFromCode(message.code, `Refused by ${session.deviceId}.`));
  }

  // --- holder side ---------------------------------------------------------------------------

  /** Why `session` may not read `owner`'s archive, or undefined when it may. */
  async refusal(
    session: Pick<PeerSession, 'deviceId' | 'userId'>,
    owner: string,
  ): Promise<ErrorCode | undefined> {
    const device = await this.node.identity.device(session.deviceId);
    if (device?.status !== 'active' || device.userId !== owner || session.userId !== owner) {
      return 'ARCHIVE_NOT_OWNER';
    }
    return undefined;
  }

  /**
   * This device's own share, re-wrapped to `to`: of the groups this device's key is in, `to` is
   * not, and archive-sender.ts lets it hand over for `owner`'s item, the highest (a share of a
   * group `to` is in would add nothing).
   */
  private async rewrapOwnShare(
    ciphertext: Uint8Array,
    envelope: VerifiedEnvelope,
    owner: string,
    to: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    // The share is sealed to the device key, closed while locked: the ciphertext goes alone.
    if (this.node.locked) return undefined;
    let shares: { group: number; share: Uint8Array }[];
    try {
      shares = await unwrapShares(ciphertext, this.node.options.device.keys.agreement);
    } catch (err) {
      if (isKithError(err) && err.code.startsWith('ENVELOPE_')) return undefined; // not a recipient
      throw err;
    }
    const allowed = releasableGroups(
      envelope,
      shares.map((s) => s.group),
      owner,
      this.user,
    );
    const useful = shares.filter((s) => allowed.includes(s.group) && !inGroup(envelope, s.group, to));
    if (useful.length === 0) return undefined;
    const last = useful.reduce((a, b) => (b.group > a.group ? b : a));
    return rewrapShare({
      envelopeId: envelope.id,
      share: last.share,
      to,
      random: this.node.random,
    });
  }

  private async onFetch(session: PeerSession, message: Msg<'archive-fetch'>): Promise<void> {
    const refuse = (code: ErrorCode) => {
      this.log.info({ peer: session.deviceId, code }, 'archive: fetch refused');
      session.send({ v: 1, t: 'archive-fetch-refused', requestId: message.requestId, code });
    };
    const denied = await this.refusal(session, message.owner);
    if (denied) return refuse(denied);
    if ((message.blob === undefined) === (message.index === undefined)) return refuse('INVALID_INPUT');
    let found: { blob: Uint8Array; kind: ArchiveBlobKind; ciphertext: Uint8Array; version?: number };
    if (message.blob) {
      const b = await this.blobs.get(message.owner, message.blob);
      if (!b) return refuse('ARCHIVE_NOT_FOUND');
      found = { blob: b.id, kind: b.kind, ciphertext: b.ciphertext };
    } else {
      const ix = await this.indexes.get(message.owner, message.index!);
      if (!ix) return refuse('ARCHIVE_NOT_FOUND');
      found = { blob: ix.blobId, kind: 'index', ciphertext: ix.ciphertext, version: ix.version };
    }
    if (found.ciphertext.length > ARCHIVE_REPLICA_MAX_BYTES) return refuse('ARCHIVE_BLOB_TOO_LARGE');
    let share: Uint8Array | undefined;
    if (message.rewrap) {
      // Only a share of an item sealed by a device of its owner leaves (archive-sender.ts);
      // bytes that are no envelope have no share to give.
      const sealed = await checkArchiveSender(this.node.identity, found.ciphertext, message.owner, 'known');
      if (!sealed.ok && sealed.code === 'ARCHIVE_SENDER_NOT_OWNER') return refuse(sealed.code);
      const device = await this.node.identity.device(session.deviceId);
      if (device && sealed.ok) {
        share = await this.rewrapOwnShare(
          found.ciphertext,
          sealed.envelope,
          message.owner,
          device.staticPublicKey,
        );
      }
    }
    session.send({
      v: 1,
      t: 'archive-fetched',
      requestId: message.requestId,
      blob: found.blob,
      kind: found.kind,
      ciphertext: found.ciphertext,
      ...(found.version !== undefined ? { version: found.version } : {}),
      ...(share ? { share } : {}),
    });
  }

  private async onIndexPut(session: PeerSession, message: Msg<'archive-index-put'>): Promise<void> {
    const blob = contentId(message.ciphertext);
    const refuse = (code: string) => session.send({ v: 1, t: 'archive-refused', blob, code });
    const denied = await this.refusal(session, message.owner);
    if (denied) return void refuse(denied);
    if (message.owner !== this.user && !this.options.holdForFriends)
      return void refuse('ARCHIVE_NOT_HOLDING');
    const unsealed = await storeRefusal(this.node.identity, message.ciphertext, message.owner);
    if (unsealed) return void refuse(unsealed);
    let outcome: Awaited<ReturnType<IndexRepository['storeNewer']>>;
    try {
      outcome = await this.indexes.storeNewer({
        ownerId: message.owner,
        name: message.name,
        version: message.version,
        ciphertext: message.ciphertext,
      });
    } catch (err) {
      if (!isKithError(err)) throw err;
      return void refuse(err.code);
    }
    if (outcome.status === 'stale') return void refuse('ARCHIVE_VERSION_CONFLICT');
    const receipt = signStorageReceipt(
      { blob, owner: message.owner, size: message.ciphertext.length, at: this.node.clock() },
      this.node.receiptSigner,
    );
    session.send({ v: 1, t: 'archive-receipt', blob, receipt });
  }

  /** Retrieval messages; returns false for the replicator's own ones. */
  async onArchive(session: PeerSession, message: ArchiveSessionMessage): Promise<boolean> {
    switch (message.t) {
      case 'archive-fetch':
        await this.onFetch(session, message);
        return true;
      case 'archive-fetched':
        await this.onFetched(session, message);
        return true;
      case 'archive-fetch-refused':
        this.onFetchRefused(session, message);
        return true;
      case 'archive-index-put':
        await this.onIndexPut(session, message);
        return true;
      case 'archive-receipt':
      case 'archive-refused':
        return this.lists.onStoreReply(session, message);
      default:
        return false;
    }
  }
}
