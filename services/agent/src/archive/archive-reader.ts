/**
 * Reading the archive back (docs/ARCHITECTURE.md "Archive encryption and retrieval"): the active
 * list and the history index as this device reads them, which blob an id names, and archived
 * transcripts opened with this device's share plus a holder's or another own device's.
 */
import {
  friendBundleTopic,
  openActiveList,
  openHistoryIndex,
  openTranscript,
  topicHash,
} from '@kith/core/archive/archive-seal';
import { activeListRows, historySegmentRows } from '@kith/core/archive/archive-views';
import type { Transcript } from '@kith/core/archive/transcript';
import { fromHex, toHex } from '@kith/core/crypto/index';
import { verifyEnvelope } from '@kith/core/envelope';
import { isKithError, KithError } from '@kith/core/errors';
import type { AgreementKeyPair } from '@kith/core/identity/derive';
import type { PeerNode } from '../peer/peer-node.ts';
import {
  type ListedActive,
  type ListedHistory,
  type ListRead,
  mergeActive,
  mergeHistory,
  segmentsOf,
} from './archive-lists.ts';
import type { ArchiveAccess, ArchivedTranscript, CurrentItem, HistoryItem } from './archivist-options.ts';
import type { ArchivistState } from './archivist-state.ts';
import { joinSegments, transcriptView } from './transcript-segments.ts';
import type { TranscriptSource } from './transcript-source.ts';

export class ArchiveReader {
  constructor(
    private readonly node: PeerNode,
    private readonly access: ArchiveAccess,
    private readonly source: TranscriptSource,
    private readonly state: ArchivistState,
  ) {}

  private get me() {
    return this.node.deviceId;
  }
  private get keys() {
    return this.node.options.device.keys;
  }

  /** The active list from a holder (2-of-2: its re-wrapped share + mine), if one answers. */
  async readActive(): Promise<ListRead<ListedActive> | undefined> {
    const got = await this.fetchList('active');
    if (!got) return undefined;
    try {
      const list = await openActiveList(got.ciphertext, {
        keys: [this.keys.agreement],
        shares: got.share ? [got.share] : [],
      });
      return {
        version: got.version,
        unreadable: false,
        entries: activeListRows(list),
      };
    } catch (err) {
      if (!isKithError(err)) throw err;
      return { version: got.version, unreadable: true, entries: [] };
    }
  }

  /** A list from this device or an online holder; undefined when none is reachable. */
  private async fetchList(
    name: 'active' | 'conversations',
  ): Promise<{ ciphertext: Uint8Array; version: number; share?: Uint8Array } | undefined> {
    try {
      return await this.access.fetchIndex(name, name === 'active' ? { rewrap: true } : undefined);
    } catch (err) {
      if (!isKithError(err)) throw err;
      return undefined;
    }
  }

  /** The history index (t=1: my own key opens it), newest of this device and online holders. */
  async readHistory(): Promise<ListRead<ListedHistory> | undefined> {
    const got = await this.fetchList('conversations');
    if (!got) return undefined;
    try {
      const index = await openHistoryIndex(got.ciphertext, { keys: [this.keys.agreement] });
      return {
        version: got.version,
        unreadable: false,
        entries: historySegmentRows(index),
      };
    } catch (err) {
      if (!isKithError(err)) throw err;
      // Sealed before this device existed (a device recovered from the phrase): see `adopt`.
      return { version: got.version, unreadable: true, entries: [] };
    }
  }

  private async openWith(
    ciphertext: Uint8Array,
    shares: Uint8Array[],
    extra: AgreementKeyPair[] = [],
  ): Promise<Transcript> {
    return (await openTranscript(ciphertext, { keys: [this.keys.agreement, ...extra], shares })).transcript;
  }

  // --- retrieval -----------------------------------------------------------------------------

  /** The history index as this device reads it (its own key opens the index). */
  async history(): Promise<HistoryItem[]> {
    const remote = await this.readHistory();
    const state = await this.state.load();
    const entries = mergeHistory(state.history, remote?.entries ?? []);
    const names = await this.topicNames();
    const friends = toHex(friendBundleTopic());
    return [...entries.values()]
      .filter((e) => e.topic !== friends) // the friend bundle is no conversation
      .sort((a, b) => b.closedAt - a.closedAt || (a.blob < b.blob ? -1 : 1))
      .map((e) => ({
        id: e.blob,
        topic: e.topic,
        conversation: names.get(e.topic) ?? null,
        closedAt: new Date(e.closedAt).toISOString(),
        messages: e.messages,
      }));
  }

  /** The active list (current items) as this device reads it: its own copy merged with a holder's. */
  async current(): Promise<CurrentItem[]> {
    const remote = await this.readActive();
    const state = await this.state.load();
    const entries = mergeActive(state.active, remote?.entries ?? []);
    const names = await this.topicNames();
    return [...entries.values()]
      .sort((a, b) => b.updatedAt - a.updatedAt || (a.topic < b.topic ? -1 : 1))
      .map((e) => ({
        id: e.blob,
        topic: e.topic,
        conversation: names.get(e.topic) ?? null,
        updatedAt: new Date(e.updatedAt).toISOString(),
      }));
  }

  /** topicHash hex -> conversation id, for the conversations this device knows. */
  private async topicNames(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of await this.source.conversationIds()) out.set(toHex(topicHash(id)), id);
    return out;
  }

  /**
   * Which blob an id names: a blob id, a topic hash, or a conversation id (history first, then
   * the active list). `blob` is the newest; `segments` every history segment a topic or
   * conversation id names (oldest first), or just the one blob a blob id names.
   */
  async resolve(id: string): Promise<{
    blob: string;
    segments: string[];
    topic: string | null;
    archive: 'current' | 'history' | null;
  }> {
    const state = await this.state.load();
    const history = mergeHistory(state.history, (await this.readHistory())?.entries ?? []);
    const active = mergeActive(state.active, []);
    // A 64-hex id is a blob id or a topic hash — or a group conversation id (also 64 hex).
    const keys = new Set([toHex(topicHash(id))]);
    const hexId = /^[0-9a-fA-F]{64}$/.test(id) ? id.toLowerCase() : undefined;
    if (hexId) keys.add(hexId);
    const one = hexId === undefined ? undefined : history.get(hexId);
    if (one) return { blob: one.blob, segments: [one.blob], topic: one.topic, archive: 'history' };
    const topic = [...history.values()].find((e) => keys.has(e.topic))?.topic;
    if (topic !== undefined) {
      const segments = segmentsOf(history, topic)
        .sort((a, b) => a.closedAt - b.closedAt || (a.blob < b.blob ? -1 : 1))
        .map((e) => e.blob);
      return { blob: segments[segments.length - 1]!, segments, topic, archive: 'history' };
    }
    for (const e of active.values())
      if (keys.has(e.blob) || keys.has(e.topic))
        return { blob: e.blob, segments: [e.blob], topic: e.topic, archive: 'current' };
    // An item not (yet) in a list this device can read: by its blob id.
    if (hexId) return { blob: hexId, segments: [hexId], topic: null, archive: null };
    // The start of a blob id or a topic, as `kith archive history` shows a topic (12 characters).
    const prefix = /^[0-9a-fA-F]{4,63}$/.test(id) ? id.toLowerCase() : undefined;
    if (prefix) {
      const entries = [...history.values(), ...active.values()];
      const named = new Set(entries.flatMap((e) => [e.blob, e.topic]).filter((x) => x.startsWith(prefix)));
      if (named.size > 1)
        throw new KithError(
          'ID_AMBIGUOUS',
          `"${id}" starts ${named.size} archive ids: ${[...named].map((x) => x.slice(0, 16)).join(', ')}.`,
        );
      const [full] = named;
      if (full !== undefined) return this.resolve(full);
    }
    throw new KithError('ARCHIVE_NOT_FOUND', 'No archived conversation has that id.');
  }

  /** The ciphertext of an archive item (for the phrase fallback, which opens it elsewhere). */
  async ciphertext(id: string): Promise<{ id: string; kind: string; ciphertext: Uint8Array }> {
    const { blob } = await this.resolve(id);
    const got = await this.access.fetchBlob(fromHex(blob));
    return { id: blob, kind: got.kind, ciphertext: got.ciphertext };
  }

  /**
   * The sealed bytes plus, when a holder (or own device) answered with one, its share re-wrapped
   * to this device and opened here: with it, the phrase path opens a current item too (the
   * phrase gives back the owner-group key of a lost device; the holder adds its group's share).
   */
  async ciphertextWithShare(
    id: string,
  ): Promise<{ id: string; kind: string; ciphertext: Uint8Array; share?: Uint8Array }> {
    const { blob } = await this.resolve(id);
    const blobId = fromHex(blob);
    const got = await this.access
      .fetchBlob(blobId, { rewrap: true })
      .catch((err: unknown) =>
        isKithError(err, 'ARCHIVE_NOT_FOUND') ? this.access.fetchBlob(blobId) : Promise.reject(err),
      );
    return {
      id: blob,
      kind: got.kind,
      ciphertext: got.ciphertext,
      ...(got.share ? { share: got.share } : {}),
    };
  }

  /** The sealed history index (newest of this device and online holders), for the phrase path. */
  async indexCiphertext(
    name: 'active' | 'conversations',
  ): Promise<{ version: number; ciphertext: Uint8Array; share?: Uint8Array }> {
    // The active list is 2-of-2: a holder's share comes with it (re-wrapped to this device).
    const got = await this.access.fetchIndex(name, { rewrap: name === 'active' });
    if (!got)
      throw new KithError('ARCHIVE_NOT_FOUND', `No ${name} list is held here or by an online holder yet.`);
    return { version: got.version, ciphertext: got.ciphertext, ...(got.share ? { share: got.share } : {}) };
  }

  /**
   * Opens an archived transcript (current: my share + a holder's; history: two of X, Y). A topic
   * or conversation id opens every history segment and returns their messages as one transcript
   * (deduplicated by message id, ordered by sentAt; `id` is the newest segment's blob).
   */
  async get(id: string): Promise<ArchivedTranscript> {
    const { blob, segments } = await this.resolve(id);
    const opened: { kind: string; transcript: Transcript }[] = [];
    for (const segment of segments) opened.push(await this.openBlob(segment));
    const newest = opened[opened.length - 1];
    if (!newest) throw new KithError('ARCHIVE_NOT_FOUND', 'No archived conversation has that id.');
    const archive = newest.kind === 'history' ? 'history' : 'current';
    return transcriptView(blob, archive, joinSegments(opened.map((o) => o.transcript)));
  }

  /**
   * One blob opened with this device's share plus a holder's or another own device's (and the
   * `extra` keys: the recovery key while a re-wrap has it, archive-rewrap.ts).
   */
  async openBlob(
    blob: string,
    extra: AgreementKeyPair[] = [],
  ): Promise<{ kind: string; transcript: Transcript }> {
    const blobId = fromHex(blob);
    // A holder's answer carries its share; when no remote device has the blob (yet), the local
    // copy is enough to ask the other own devices for theirs.
    const got = await this.access
      .fetchBlob(blobId, { rewrap: true })
      .catch((err: unknown) =>
        isKithError(err, 'ARCHIVE_NOT_FOUND') ? this.access.fetchBlob(blobId) : Promise.reject(err),
      );
    const env = verifyEnvelope(got.ciphertext);
    const shares: Uint8Array[] = got.share ? [got.share] : [];
    let plaintext: Transcript | undefined;
    try {
      plaintext = await this.openWith(got.ciphertext, shares, extra);
    } catch (err) {
      if (!isKithError(err, 'ENVELOPE_TOO_FEW_SHARES') && !isKithError(err, 'ENVELOPE_WRONG_KEY')) throw err;
    }
    if (!plaintext) {
      // Ask the other own devices named in the envelope for their shares (history: X or Y).
      for (const key of env.recipients) {
        const device = await this.node.identity.deviceByStaticKey(key);
        if (!device || device.userId !== this.node.userId || device.deviceId === this.me) continue;
        if (device.status !== 'active') continue;
        try {
          shares.push(await this.access.requestShare(device.deviceId, blobId));
        } catch (err) {
          if (!isKithError(err)) throw err;
          continue;
        }
        try {
          plaintext = await this.openWith(got.ciphertext, shares, extra);
          break;
        } catch (err) {
          if (!isKithError(err, 'ENVELOPE_TOO_FEW_SHARES') && !isKithError(err, 'ENVELOPE_WRONG_KEY'))
            throw err;
        }
      }
    }
    if (!plaintext) {
      throw new KithError(
        'ENVELOPE_TOO_FEW_SHARES',
        'Bring the device (or the friend’s relay) holding the other key share online, or use --phrase-file.',
      );
    }
    return { kind: got.kind, transcript: plaintext };
  }
}
