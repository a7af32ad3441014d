/**
 * The archivist (docs/DESIGN.md §5, §7; docs/ARCHITECTURE.md "Archive encryption and retrieval"): keeps
 * every conversation this device has in the replicated archive, sealed so that no single
 * system can read it.
 *
 * Each pass builds one transcript per conversation (transcript-source.ts). An open conversation
 * with activity younger than the history age is sealed *current* (2-of-2: the owner's devices
 * and the holder group) and listed in the sealed *active list*; a closed or older one is sealed
 * *history* (2-of-3: this device X, another own device Y, the recovery key) and listed in the
 * *history index* (t=1 to every own device and the recovery key). A transcript is sealed again
 * only when it changed (the digest of its bytes is remembered in a sealed local state).
 *
 * Passes come from an injected scheduler and, debounced, from message and conversation events;
 * tests call `sync()` themselves. Retrieval: `history()` and `get()`.
 */
import {
  openActiveList,
  openHistoryIndex,
  openTranscript,
  sealArchiveIndex,
  sealCurrent,
  sealHistory,
  topicHash,
} from '@kith/core/archive/archive-seal';
import { historySegments } from '@kith/core/archive/history-index';
import { type Transcript, TranscriptFormat } from '@kith/core/archive/transcript';
import { defaultBackend, fromHex, toHex, utf8 } from '@kith/core/crypto/index';
import { verifyEnvelope } from '@kith/core/envelope';
import { isKithError, KithError } from '@kith/core/errors';
import { eq } from 'drizzle-orm';
import { secrets } from '@kith/db/schema';
import type { AgentService } from '../components.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { Messenger } from '../messaging/messenger.ts';
import type { PeerNode } from '../peer/peer-node.ts';
import { openBox, sealBox } from '../peer/sealed-box.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import { intervalScheduler, type RepairScheduler } from './archive-replicator.ts';
import {
  type ConversationSnapshot,
  type ConversationSummary,
  type TranscriptData,
  TranscriptSource,
} from './transcript-source.ts';

const DAY_MS = 86_400_000;

export interface ArchivistOptions {
  /** A conversation without activity this long moves to history (closed ones move at once). */
  historyAfterMs: number;
  /** How often a pass runs by itself. */
  intervalMs: number;
  /** Quiet time after a message or conversation event before a pass (0: no event-driven passes). */
  debounceMs: number;
  scheduler: RepairScheduler;
}

export const DEFAULT_ARCHIVIST_OPTIONS: ArchivistOptions = {
  historyAfterMs: 30 * DAY_MS,
  intervalMs: 10 * 60_000,
  debounceMs: 5000,
  scheduler: intervalScheduler,
};

/** What one pass did (POST /api/archive/sync). Counts and ids only, never content. */
export interface SyncReport {
  conversations: number;
  /** Transcripts built (opened from the tables) in this pass; unchanged ones are not. */
  built: number;
  /** Current transcripts sealed and put in this pass. */
  sealedCurrent: number;
  /** Conversations moved to (or re-sealed in) history in this pass. */
  movedToHistory: number;
  /** Unchanged since the last pass (or already archived by another own device). */
  unchanged: number;
  /** Due for history but kept current: the owner has only one active device. */
  keptCurrent: number;
  /** Conversations that could not be archived this pass (no holder, too large, …). */
  failed: { topic: string; code: string }[];
  activeList: { version: number; entries: number } | null;
  historyIndex: { version: number; entries: number } | null;
}

export interface HistoryItem {
  /** Blob id, hex. */
  id: string;
  /** topicHash of the conversation id, hex. */
  topic: string;
  /** The conversation id, when this device knows it. */
  conversation: string | null;
  closedAt: string;
  messages: number;
}

export interface CurrentItem {
  /** Blob id, hex. */
  id: string;
  topic: string;
  conversation: string | null;
  updatedAt: string;
}

export interface ArchivedTranscript {
  /** Blob id, hex. */
  id: string;
  topic: string;
  archive: 'current' | 'history';
  conversation: string;
  title: string;
  kind: 'direct' | 'group';
  members: string[];
  closedAt: string | null;
  messages: { id: string; from: string; device: string; sentAt: string; text: string }[];
  events: number;
}

/** The archivist's memory between passes, sealed under the device storage key at rest. */
interface LocalState {
  v: 1;
  conversations: Record<
    string,
    {
      topic: string;
      archive: 'current' | 'history';
      blob: string;
      digest: string;
      lastActivity: number;
      closedAt: number | null;
      messages: number;
      /** The summary marker when this entry was last checked (see TranscriptSource.summaries). */
      marker?: string;
    }
  >;
  /** The last active list and history index this device wrote or read (hex ids). */
  active: { topic: string; blob: string; updatedAt: number }[];
  /** History segments; `from` is absent in states written before segments (read as null). */
  history: ListedHistory[];
  /** Recipients the history index was last sealed to (so a new own device gets it re-sealed). */
  historyRecipients: string;
  /**
   * Per list, the newest version whose entries were handed in opened (`adopt`, by the CLI with
   * the phrase). A list this device cannot open is never overwritten unless its version was adopted.
   */
  adopted?: { active?: number; conversations?: number };
}

const STATE_NAME = 'archivist';
const STATE_PURPOSE = 'kith/v1/seal/archivist-state';
const emptyState = (): LocalState => ({
  v: 1,
  conversations: {},
  active: [],
  history: [],
  historyRecipients: '',
});

/**
 * What the archivist needs of replication and retrieval (the replicator and the archive fetcher:
 * docs/ARCHITECTURE.md "Archive encryption and retrieval"). node.ts wires the real ones.
 */
export interface ArchiveAccess {
  /** Stores locally and replicates; `preferHolders` are asked first (current: friends' devices). */
  put(input: {
    kind: 'current' | 'history';
    ciphertext: Uint8Array;
    preferHolders?: string[];
  }): Promise<{ id: string }>;
  /** Local store first, else holders; `rewrap` asks a holder for its share re-wrapped to me. */
  fetchBlob(
    blobId: Uint8Array,
    opts?: { rewrap?: boolean; from?: string[] },
  ): Promise<{ ciphertext: Uint8Array; kind: string; share?: Uint8Array; from: string }>;
  /** Newest of the local copy and online holders. */
  fetchIndex(
    name: 'active' | 'conversations',
    opts?: { rewrap?: boolean },
  ): Promise<{ ciphertext: Uint8Array; version: number; share?: Uint8Array } | undefined>;
  putIndex(name: 'active' | 'conversations', ciphertext: Uint8Array): Promise<{ version: number }>;
  /** An own device (X or Y of a history item) re-wraps its share to this device. */
  requestShare(deviceId: string, blobId: Uint8Array): Promise<Uint8Array>;
}

export class Archivist implements AgentService {
  readonly name = 'archivist';
  readonly options: ArchivistOptions;
  readonly source: TranscriptSource;
  private cancel: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<SyncReport> | undefined;
  private again = false;

  constructor(
    private readonly node: PeerNode,
    private readonly access: ArchiveAccess,
    messenger: Messenger,
    conversations: ConversationService,
    options: Partial<ArchivistOptions> = {},
  ) {
    this.options = { ...DEFAULT_ARCHIVIST_OPTIONS, ...options };
    const { db, random, clock } = node.options.components;
    this.source = new TranscriptSource(node, messenger, conversations, {
      db: db.db,
      storageKey: () => node.options.device.storageKey,
      random,
      clock,
    });
  }

  private get db() {
    return this.node.options.components.db.db;
  }
  private get me() {
    return this.node.deviceId;
  }
  private get keys() {
    return this.node.options.device.keys;
  }

  async start(): Promise<void> {
    this.cancel = this.options.scheduler(
      () => void this.sync().catch((err) => this.node.log.warn({ err }, 'archive: a pass failed')),
      this.options.intervalMs,
    );
    if (this.options.debounceMs > 0) {
      this.unsubscribe = this.node.options.events.subscribe((e) => {
        if (!/^(message\.(sent|received)|conversation\.(created|updated|closed))$/.test(e.type)) return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(
          () => void this.sync().catch((err) => this.node.log.warn({ err }, 'archive: a pass failed')),
          this.options.debounceMs,
        );
        this.debounce.unref?.();
      });
    }
  }

  async stop(): Promise<void> {
    this.cancel?.();
    this.unsubscribe?.();
    clearTimeout(this.debounce);
    await this.running?.catch(() => {});
  }

  // --- the pass ------------------------------------------------------------------------------

  /** Runs one pass (or joins the running one and then runs once more); returns what it did. */
  async sync(): Promise<SyncReport> {
    if (this.running) {
      this.again = true;
      await this.running.catch(() => {});
      if (this.running) return this.running;
    }
    this.again = false;
    this.running = this.pass().finally(() => {
      this.running = undefined;
    });
    const report = await this.running;
    if (this.again) return this.sync();
    return report;
  }

  private async pass(): Promise<SyncReport> {
    const now = this.node.clock();
    const state = await this.loadState();
    const report: SyncReport = {
      conversations: 0,
      built: 0,
      sealedCurrent: 0,
      movedToHistory: 0,
      unchanged: 0,
      keptCurrent: 0,
      failed: [],
      activeList: null,
      historyIndex: null,
    };
    const own = await this.ownDevices();
    const holders = await this.holderGroup(own);
    const remoteActive = await this.readActive();
    const remoteHistory = await this.readHistory();
    const active = mergeActive(state.active, remoteActive?.entries ?? []);
    let history = mergeHistory(state.history, remoteHistory?.entries ?? []);
    let activeChanged = false;
    let historyChanged = false;

    for (const summary of await this.source.summaries()) {
      report.conversations += 1;
      const known = state.conversations[summary.id];
      if (
        known &&
        known.marker === summary.marker &&
        this.stillListed(known, summary, active, history, now)
      ) {
        report.unchanged += 1;
        continue;
      }
      const built = await this.source.build(summary);
      if (!built) {
        report.conversations -= 1;
        continue;
      }
      report.built += 1;
      const snapshot = { ...built, marker: summary.marker };
      const t = snapshot.transcript;
      const topic = toHex(topicHash(t.conversation));
      const prev = state.conversations[t.conversation];
      let bytes: Uint8Array;
      try {
        bytes = encodeTranscript(t);
      } catch (err) {
        report.failed.push({ topic, code: isKithError(err) ? err.code : 'INTERNAL' });
        continue;
      }
      const digest = toHex(defaultBackend().sha256(bytes));
      const from = firstMessageAt(t, snapshot.lastActivity);
      // In history already (moved by this or another own device) with all this device has: a
      // segment from no later, as many messages and nothing newer (a recovered device's new
      // texts are not in the old blob). A v1 entry (start unknown) keeps the v1 rule.
      const archived = segmentsOf(history, topic).find(
        (s) =>
          (s.from === null || s.from <= from) &&
          s.messages >= t.messages.length &&
          s.closedAt >= snapshot.lastActivity,
      );
      const inHistory = archived !== undefined;
      const due =
        inHistory || t.closedAt !== null || now - snapshot.lastActivity >= this.options.historyAfterMs;
      const toHistory = due && (inHistory || own.length >= 2);
      if (due && !toHistory) report.keptCurrent += 1;
      try {
        if (toHistory) {
          if (archived) {
            this.remember(state, t, snapshot, topic, 'history', archived.blob, digest);
            report.unchanged += 1;
          } else {
            const second = otherDevice(own, this.me);
            const ciphertext = await sealHistory({
              transcript: t,
              archivist: this.keys.agreement.publicKey,
              second: second.staticPublicKey,
              recovery: this.node.ownLog.recoveryKey,
              sender: this.keys.signing,
              createdAt: now,
              random: this.node.random,
            });
            // Y holds a copy first: it answers share requests for the blob it holds.
            const { id } = await this.put({ kind: 'history', ciphertext, preferHolders: [second.deviceId] });
            // A new segment: older segments it does not cover stay listed (a recovered device
            // lacks their messages; docs/ARCHITECTURE.md "Lists a device cannot open").
            history = mergeHistory(
              [...history.values()],
              [
                {
                  topic,
                  blob: id,
                  from,
                  closedAt: t.closedAt ?? snapshot.lastActivity,
                  messages: t.messages.length,
                },
              ],
            );
            this.remember(state, t, snapshot, topic, 'history', id, digest);
            historyChanged = true;
            report.movedToHistory += 1;
          }
          if (active.delete(topic)) activeChanged = true;
          continue;
        }
        const listed = active.get(topic);
        if (listed && prev?.blob === listed.blob && prev.digest === digest) {
          prev.marker = snapshot.marker;
          report.unchanged += 1;
          continue;
        }
        if (listed && listed.blob !== prev?.blob && listed.updatedAt >= snapshot.lastActivity) {
          // Another own device put this state (or a newer one) already.
          this.remember(state, t, snapshot, topic, 'current', listed.blob, digest);
          report.unchanged += 1;
          continue;
        }
        if (holders.keys.length === 0) throw new KithError('ARCHIVE_NO_HOLDER');
        const ciphertext = await sealCurrent({
          transcript: t,
          owners: own.map((d) => d.staticPublicKey),
          holders: holders.keys,
          sender: this.keys.signing,
          createdAt: now,
          random: this.node.random,
        });
        const { id } = await this.put({ kind: 'current', ciphertext, preferHolders: holders.devices });
        active.set(topic, { topic, blob: id, updatedAt: snapshot.lastActivity });
        this.remember(state, t, snapshot, topic, 'current', id, digest);
        activeChanged = true;
        report.sealedCurrent += 1;
      } catch (err) {
        if (!isKithError(err)) throw err;
        this.node.log.warn({ code: err.code }, 'archive: a conversation was not archived this pass');
        report.failed.push({ topic, code: err.code });
      }
    }

    // Lists: written when they changed, when the copy the holders have lacks what this device
    // knows (another device wrote it without seeing ours), or (history) when the own devices changed.
    if (remoteActive && !remoteActive.unreadable && !sameEntries(remoteActive.entries, active))
      activeChanged = true;
    if (remoteHistory && !remoteHistory.unreadable && !sameSegments(remoteHistory.entries, history))
      historyChanged = true;
    // A list this device cannot open holds entries it does not know: writing over it would drop
    // them from every holder. It waits until they are adopted (`kith archive history --phrase-file`).
    const blockedActive = this.blocked('active', remoteActive, state, report);
    const blockedHistory = this.blocked('conversations', remoteHistory, state, report);
    if (remoteActive?.unreadable && !blockedActive) activeChanged = true;
    if (remoteHistory?.unreadable && !blockedHistory) historyChanged = true;
    const recipients = [...own.map((d) => toHex(d.staticPublicKey))].sort().join(',');
    if (!blockedHistory && (historyChanged || (history.size > 0 && recipients !== state.historyRecipients))) {
      const entries = [...history.values()].sort(byTopicBlob);
      const ciphertext = await sealArchiveIndex({
        name: 'conversations',
        list: {
          v: 2,
          entries: entries.map((e) => ({
            topic: fromHex(e.topic),
            blob: fromHex(e.blob),
            from: e.from,
            closedAt: e.closedAt,
            messages: e.messages,
          })),
        },
        owners: own.map((d) => d.staticPublicKey),
        recovery: this.node.ownLog.recoveryKey,
        sender: this.keys.signing,
        createdAt: now,
        random: this.node.random,
      });
      const { version } = await this.access.putIndex('conversations', ciphertext);
      state.historyRecipients = recipients;
      report.historyIndex = { version, entries: entries.length };
    }
    if (!blockedActive && activeChanged && holders.keys.length > 0) {
      const entries = [...active.values()].sort(byTopic);
      const ciphertext = await sealArchiveIndex({
        name: 'active',
        list: {
          v: 1,
          entries: entries.map((e) => ({
            topic: fromHex(e.topic),
            blob: fromHex(e.blob),
            updatedAt: e.updatedAt,
          })),
        },
        owners: own.map((d) => d.staticPublicKey),
        holders: holders.keys,
        sender: this.keys.signing,
        createdAt: now,
        random: this.node.random,
      });
      const { version } = await this.access.putIndex('active', ciphertext);
      report.activeList = { version, entries: entries.length };
    }
    state.active = [...active.values()].sort(byTopic);
    state.history = [...history.values()].sort(byTopicBlob);
    await this.saveState(state);
    this.node.options.events.publish('archive.synced', {
      conversations: report.conversations,
      current: report.sealedCurrent,
      history: report.movedToHistory,
      failed: report.failed.length,
    });
    return report;
  }

  /**
   * An unchanged conversation (same marker) needs nothing when the list still names the blob
   * this device remembers and a current one has not aged into history since.
   */
  private stillListed(
    known: LocalState['conversations'][string],
    summary: ConversationSummary,
    active: Map<string, ListedActive>,
    history: Map<string, ListedHistory>,
    now: number,
  ): boolean {
    if (known.archive === 'history') return history.has(known.blob);
    const closed = summary.group?.status === 'closed';
    const due = closed || now - summary.lastActivity >= this.options.historyAfterMs;
    return (
      !due && active.get(known.topic)?.blob === known.blob && segmentsOf(history, known.topic).length === 0
    );
  }

  private remember(
    state: LocalState,
    t: TranscriptData,
    snapshot: ConversationSnapshot & { marker: string },
    topic: string,
    archive: 'current' | 'history',
    blob: string,
    digest: string,
  ): void {
    state.conversations[t.conversation] = {
      topic,
      archive,
      blob,
      digest,
      lastActivity: snapshot.lastActivity,
      closedAt: t.closedAt,
      messages: t.messages.length,
      marker: snapshot.marker,
    };
  }

  private put: ArchiveAccess['put'] = (input) => this.access.put(input);

  /** Active own devices, lowest index first (this one included). */
  private async ownDevices(): Promise<DeviceRow[]> {
    return (await this.node.identity.devicesOf(this.node.userId)).filter((d) => d.status === 'active');
  }

  /**
   * Group 1 of a current seal: friends' active devices (any of them may hold it); with no
   * friend yet, the owner's other devices (weaker: docs/SECURITY.md).
   */
  private async holderGroup(own: DeviceRow[]): Promise<{ keys: Uint8Array[]; devices: string[] }> {
    const friends: DeviceRow[] = [];
    for (const f of await this.node.friends.list())
      for (const d of await this.node.identity.devicesOf(f.userId))
        if (d.status === 'active') friends.push(d);
    const group = friends.length > 0 ? friends : own.filter((d) => d.deviceId !== this.me);
    return { keys: group.map((d) => d.staticPublicKey), devices: group.map((d) => d.deviceId) };
  }

  // --- the lists -----------------------------------------------------------------------------

  /** The active list from a holder (2-of-2: its re-wrapped share + mine), if one answers. */
  private async readActive(): Promise<ListRead<ListedActive> | undefined> {
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
        entries: list.entries.map((e) => ({
          topic: toHex(e.topic),
          blob: toHex(e.blob),
          updatedAt: e.updatedAt,
        })),
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
  private async readHistory(): Promise<ListRead<ListedHistory> | undefined> {
    const got = await this.fetchList('conversations');
    if (!got) return undefined;
    try {
      const index = await openHistoryIndex(got.ciphertext, { keys: [this.keys.agreement] });
      return {
        version: got.version,
        unreadable: false,
        entries: historySegments(index).map((e) => ({
          topic: toHex(e.topic),
          blob: toHex(e.blob),
          from: e.from,
          closedAt: e.closedAt,
          messages: e.messages,
        })),
      };
    } catch (err) {
      if (!isKithError(err)) throw err;
      // Sealed before this device existed (a device recovered from the phrase): see `adopt`.
      return { version: got.version, unreadable: true, entries: [] };
    }
  }

  private async openWith(ciphertext: Uint8Array, shares: Uint8Array[]): Promise<Transcript> {
    return (await openTranscript(ciphertext, { keys: [this.keys.agreement], shares })).transcript;
  }

  // --- retrieval -----------------------------------------------------------------------------

  /** The history index as this device reads it (its own key opens the index). */
  async history(): Promise<HistoryItem[]> {
    const remote = await this.readHistory();
    const state = await this.loadState();
    const entries = mergeHistory(state.history, remote?.entries ?? []);
    const names = await this.topicNames();
    return [...entries.values()]
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
    const state = await this.loadState();
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
    const state = await this.loadState();
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

  /** One blob opened with this device's share plus a holder's or another own device's. */
  private async openBlob(blob: string): Promise<{ kind: string; transcript: Transcript }> {
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
      plaintext = await this.openWith(got.ciphertext, shares);
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
          plaintext = await this.openWith(got.ciphertext, shares);
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

  /** True (and reported) when `remote` is a list this device cannot open and has not adopted. */
  private blocked(
    name: 'active' | 'conversations',
    remote: ListRead<unknown> | undefined,
    state: LocalState,
    report: SyncReport,
  ): boolean {
    if (!remote?.unreadable || (state.adopted?.[name] ?? 0) >= remote.version) return false;
    report.failed.push({ topic: name, code: 'ARCHIVE_LIST_UNREADABLE' });
    this.node.log.warn(
      { list: name, version: remote.version },
      'archive: a sealed list predates this device; it is kept until opened with the phrase (kith archive history --phrase-file)',
    );
    return true;
  }

  /**
   * Takes in the entries of a list the owner opened elsewhere (the CLI, with the phrase) so the
   * next pass re-seals the list to this device's own keys, with nothing dropped.
   */
  async adopt(
    name: 'active' | 'conversations',
    version: number,
    entries: ListedActive[] | ListedHistory[],
  ): Promise<{ entries: number }> {
    const state = await this.loadState();
    if (name === 'active') {
      state.active = [...mergeActive(state.active, entries as ListedActive[]).values()].sort(byTopic);
    } else {
      state.history = [...mergeHistory(state.history, entries as ListedHistory[]).values()].sort(byTopicBlob);
      state.historyRecipients = '';
    }
    state.adopted = { ...state.adopted, [name]: Math.max(version, state.adopted?.[name] ?? 0) };
    await this.saveState(state);
    return { entries: name === 'active' ? state.active.length : state.history.length };
  }

  // --- local state ---------------------------------------------------------------------------

  private async loadState(): Promise<LocalState> {
    const [row] = await this.db.select().from(secrets).where(eq(secrets.name, STATE_NAME)).limit(1);
    if (!row) return emptyState();
    const plain = openBox(this.node.options.device.storageKey, STATE_PURPOSE, row.ciphertext);
    const state = JSON.parse(utf8.decode(plain)) as LocalState;
    return state.v === 1 ? state : emptyState();
  }

  private async saveState(state: LocalState): Promise<void> {
    const ciphertext = sealBox(
      this.node.options.device.storageKey,
      STATE_PURPOSE,
      utf8.encode(JSON.stringify(state)),
      this.node.random,
    );
    const updatedAt = new Date(this.node.clock());
    await this.db
      .insert(secrets)
      .values({ name: STATE_NAME, ciphertext, updatedAt })
      .onConflictDoUpdate({ target: secrets.name, set: { ciphertext, updatedAt } });
  }
}

type ListedActive = { topic: string; blob: string; updatedAt: number };
/** A list as fetched: its entries, or `unreadable` when this device is not among its recipients. */
type ListRead<T> = { version: number; unreadable: boolean; entries: T[] };
/** A history segment; `from` (sentAt of its first message) is null for a v1 entry (start unknown). */
export type ListedHistory = {
  topic: string;
  blob: string;
  from: number | null;
  closedAt: number;
  messages: number;
};

const byTopic = (a: { topic: string }, b: { topic: string }) => (a.topic < b.topic ? -1 : 1);
const byTopicBlob = (a: ListedHistory, b: ListedHistory) =>
  a.topic === b.topic ? (a.blob < b.blob ? -1 : 1) : a.topic < b.topic ? -1 : 1;

/** Per topic the newest entry wins (ties: the larger blob id, so every device picks the same). */
function mergeActive(...lists: ListedActive[][]): Map<string, ListedActive> {
  const out = new Map<string, ListedActive>();
  for (const e of lists.flat()) {
    const have = out.get(e.topic);
    if (!have || e.updatedAt > have.updatedAt || (e.updatedAt === have.updatedAt && e.blob > have.blob))
      out.set(e.topic, e);
  }
  return out;
}

/**
 * A covers B (same topic) when its range and count hold B's: A.from <= B.from, A.closedAt >=
 * B.closedAt, A.messages >= B.messages. A v1 entry (from null: start unknown) covers, and is
 * covered by, only an entry of the same blob — it is never dropped for another.
 */
function covers(a: ListedHistory, b: ListedHistory): boolean {
  if (a.blob === b.blob) return true;
  if (a.topic !== b.topic || a.from === null || b.from === null) return false;
  return a.from <= b.from && a.closedAt >= b.closedAt && a.messages >= b.messages;
}

/**
 * History segments by blob id: every segment no other segment of its topic covers (of two that
 * cover each other, the larger blob id stays), so every device converges on the same set and an
 * old segment a newer transcript lacks stays listed (docs/ARCHITECTURE.md "Archiving conversations").
 */
export function mergeHistory(...lists: ListedHistory[][]): Map<string, ListedHistory> {
  const byTopicMap = new Map<string, Map<string, ListedHistory>>();
  for (const raw of lists.flat()) {
    const e = { ...raw, from: raw.from ?? null };
    let topic = byTopicMap.get(e.topic);
    if (!topic) {
      topic = new Map();
      byTopicMap.set(e.topic, topic);
    }
    const have = topic.get(e.blob);
    // One blob, one content: keep a known start over an unknown one.
    if (!have || (have.from === null && e.from !== null)) topic.set(e.blob, e);
  }
  const out = new Map<string, ListedHistory>();
  for (const topic of byTopicMap.values()) {
    const all = [...topic.values()];
    for (const e of all) {
      const dropped = all.some((o) => o !== e && covers(o, e) && (!covers(e, o) || o.blob > e.blob));
      if (!dropped) out.set(e.blob, e);
    }
  }
  return out;
}

function segmentsOf(history: Map<string, ListedHistory>, topic: string): ListedHistory[] {
  return [...history.values()].filter((e) => e.topic === topic);
}

function sameSegments(list: ListedHistory[], map: Map<string, ListedHistory>): boolean {
  return list.length === map.size && list.every((e) => map.has(e.blob));
}

/** sentAt of the transcript's first message; with none, its close (or last activity). */
function firstMessageAt(t: TranscriptData, lastActivity: number): number {
  let first: number | undefined;
  for (const m of t.messages) if (first === undefined || m.sentAt < first) first = m.sentAt;
  return first ?? t.closedAt ?? lastActivity;
}

/**
 * Segments of one conversation (oldest first) as one transcript: the newest segment's title,
 * members and close; every message once (by id), ordered by sentAt; every event once.
 */
function joinSegments(parts: Transcript[]): Transcript {
  const newest = parts[parts.length - 1]!;
  if (parts.length === 1) return newest;
  const messages = new Map<string, Transcript['messages'][number]>();
  const events = new Map<string, Uint8Array>();
  for (const p of parts) {
    for (const m of p.messages) if (!messages.has(m.id)) messages.set(m.id, m);
    for (const e of p.events ?? []) events.set(toHex(e), e);
  }
  const sorted = [...messages.values()].sort((a, b) => a.sentAt - b.sentAt || (a.id < b.id ? -1 : 1));
  return { ...newest, messages: sorted, ...(events.size > 0 ? { events: [...events.values()] } : {}) };
}

function sameEntries(list: { topic: string; blob: string }[], map: Map<string, { blob: string }>): boolean {
  return list.length === map.size && list.every((e) => map.get(e.topic)?.blob === e.blob);
}

function otherDevice(own: DeviceRow[], me: string): DeviceRow {
  const other = own.find((d) => d.deviceId !== me);
  if (!other) throw new KithError('ARCHIVE_HISTORY_ONE_DEVICE');
  return other;
}

function encodeTranscript(t: TranscriptData): Uint8Array {
  return TranscriptFormat.encode({
    v: 1,
    conversation: t.conversation,
    topic: t.topic,
    kind: t.kind,
    members: t.members,
    closedAt: t.closedAt,
    messages: t.messages,
    ...(t.events ? { events: t.events } : {}),
  });
}

export function transcriptView(
  blob: string,
  archive: 'current' | 'history',
  t: Transcript,
): ArchivedTranscript {
  return {
    id: blob,
    topic: toHex(topicHash(t.conversation)),
    archive,
    conversation: t.conversation,
    title: t.topic,
    kind: t.kind,
    members: [...t.members],
    closedAt: t.closedAt === null ? null : new Date(t.closedAt).toISOString(),
    messages: t.messages.map((m) => ({ ...m, sentAt: new Date(m.sentAt).toISOString() })),
    events: t.events?.length ?? 0,
  };
}

/** Days (config) to milliseconds. */
export const historyAfterMs = (days: number | undefined): number => Math.round((days ?? 30) * DAY_MS);
