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
  friendBundleTopic,
  sealArchiveIndex,
  sealCurrent,
  sealHistory,
  topicHash,
} from '@kith/core/archive/archive-seal';
import { defaultBackend, fromHex, toHex } from '@kith/core/crypto/index';
import { isKithError, KithError } from '@kith/core/errors';
import type { AgreementKeyPair } from '@kith/core/identity/derive';
import type { AgentService } from '../components.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { Messenger } from '../messaging/messenger.ts';
import type { PeerNode } from '../peer/peer-node.ts';
import { type FriendsRestored, restoreFriends } from '../peer/restore-friends.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import { SecretRepository } from '../repositories/secret-repository.ts';
import {
  byTopic,
  byTopicBlob,
  type ListedActive,
  type ListedHistory,
  type ListRead,
  mergeActive,
  mergeHistory,
  sameEntries,
  sameSegments,
  segmentsOf,
} from './archive-lists.ts';
import { ArchiveReader } from './archive-reader.ts';
import { phraseKeys, type RewrapStatus, rewrapRevoked } from './archive-rewrap.ts';
import {
  type ArchiveAccess,
  type ArchivedTranscript,
  type ArchivistOptions,
  type CurrentItem,
  DEFAULT_ARCHIVIST_OPTIONS,
  type HistoryItem,
  type SyncReport,
} from './archivist-options.ts';
import { ArchivistState, adoptEntries, type LocalState } from './archivist-state.ts';
import { archiveFriendBundle } from './friend-bundle-source.ts';
import { holderGroup, otherDevice } from './holder-group.ts';
import { encodeTranscript, firstMessageAt } from './transcript-segments.ts';
import type { ConversationSnapshot, ConversationSummary, TranscriptData } from './transcript-source.ts';
import { TranscriptSource } from './transcript-source.ts';

export { type ListedHistory, mergeHistory } from './archive-lists.ts';
export {
  type ArchiveAccess,
  type ArchivedTranscript,
  type ArchivistOptions,
  type CurrentItem,
  DEFAULT_ARCHIVIST_OPTIONS,
  type HistoryItem,
  historyAfterMs,
  type SyncReport,
} from './archivist-options.ts';
export { transcriptView } from './transcript-segments.ts';

export class Archivist implements AgentService {
  readonly name = 'archivist';
  readonly options: ArchivistOptions;
  readonly source: TranscriptSource;
  private cancel: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<SyncReport> | undefined;
  private again = false;
  private readonly state: ArchivistState;
  private readonly reader: ArchiveReader;
  /** Keys from the phrase, only while a pass the phrase was given for runs (`rewrap`). */
  private phraseKeys: AgreementKeyPair[] = [];
  private rewrapView: RewrapStatus = { waiting: 0, history: 0, lastPassAt: null };

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
    this.state = new ArchivistState(node, new SecretRepository(db.db));
    this.reader = new ArchiveReader(node, access, this.source, this.state);
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
        if (
          !/^(message\.(sent|received)|conversation\.(created|updated|closed)|archive\.list-conflict)$/.test(
            e.type,
          )
        )
          return;
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
    this.running = this.state
      .withState(() => this.pass())
      .finally(() => {
        this.running = undefined;
      });
    const report = await this.running;
    if (this.again) return this.sync();
    return report;
  }

  private async pass(): Promise<SyncReport> {
    const now = this.node.clock();
    const state = await this.state.load();
    const report: SyncReport = {
      conversations: 0,
      built: 0,
      sealedCurrent: 0,
      movedToHistory: 0,
      unchanged: 0,
      keptCurrent: 0,
      rewrapped: 0,
      failed: [],
      activeList: null,
      historyIndex: null,
    };
    const own = await this.ownDevices();
    const holders = await holderGroup(this.node, own);
    const remoteActive = await this.reader.readActive();
    const remoteHistory = await this.reader.readHistory();
    const active = mergeActive(state.active, remoteActive?.entries ?? []);
    let history = mergeHistory(state.history, remoteHistory?.entries ?? []);
    let activeChanged = false;
    let historyChanged = false;

    const summaries = await this.source.summaries();
    for (const summary of summaries) {
      // Progress for a waiting `kith archive sync` (a count, never a conversation id).
      this.node.options.events.publish('archive.progress', {
        done: report.conversations,
        total: summaries.length,
      });
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

    // The friend bundle (friend-bundle-source.ts), listed in the history index under its own topic.
    const bundle = await archiveFriendBundle({ node: this.node, access: this.access, state, own, now });
    if (bundle) {
      history = mergeHistory([...history.values()], [bundle]);
      historyChanged = true;
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
    // Items still sealed to a revoked own device, sealed anew to today's (archive-rewrap.ts).
    const rewrap = await rewrapRevoked({
      node: this.node,
      access: this.access,
      open: (blob, extra) => this.reader.openBlob(blob, extra),
      state,
      active,
      history,
      own,
      holders,
      skip: { active: blockedActive, history: blockedHistory },
      phraseKeys: this.phraseKeys,
      now,
    });
    ({ rewrapped: report.rewrapped, view: this.rewrapView } = rewrap);
    // The active list too, when it was sealed to an own device revoked since.
    const ownKeys = own.map((d) => toHex(d.staticPublicKey));
    if (rewrap.activeChanged || state.activeOwners?.some((k) => !ownKeys.includes(k))) activeChanged = true;
    if (rewrap.historyChanged) historyChanged = true;
    if (remoteActive?.unreadable && !blockedActive) activeChanged = true;
    if (remoteHistory?.unreadable && !blockedHistory) historyChanged = true;
    // A holder keeps a competing version (list-placement.ts): a newer one, merged, replaces it.
    for (const p of await this.access.indexPlacement()) {
      if (!p.conflict) continue;
      if (p.name === 'active') activeChanged = true;
      else if (history.size > 0) historyChanged = true;
    }
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
      // Conversation segments: the friend bundle is counted apart from them.
      const friendsTopic = toHex(friendBundleTopic());
      report.historyIndex = { version, entries: entries.filter((e) => e.topic !== friendsTopic).length };
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
      state.activeOwners = ownKeys;
      report.activeList = { version, entries: entries.length };
    }
    // Lists too few devices hold go out again to the online ones lacking them.
    await this.access.placeIndexes();
    state.active = [...active.values()].sort(byTopic);
    state.history = [...history.values()].sort(byTopicBlob);
    await this.state.save(state);
    // The lists name the new blobs now: the old ones' copies can go once the new have theirs.
    await this.access.supersede(rewrap.superseded);
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

  // --- re-wrap after a revocation (archive-rewrap.ts) ----------------------------------------

  /**
   * One pass with the keys the phrase gives back (given at `kith revoke`, or by `kith archive
   * rewrap --phrase-file F`): history items sealed to a revoked device are re-sealed too. The
   * keys live in memory for this pass only.
   */
  async rewrap(phrase: string, bip39Passphrase = ''): Promise<RewrapStatus & { rewrapped: number }> {
    this.phraseKeys = await phraseKeys(this.node, phrase, bip39Passphrase);
    try {
      const report = await this.sync();
      return { ...this.rewrapView, rewrapped: report.rewrapped };
    } finally {
      this.phraseKeys = [];
    }
  }

  /** Listed items still sealed to a revoked own device, as the last pass counted them. */
  rewrapStatus(): RewrapStatus {
    return this.rewrapView;
  }

  // --- retrieval (archive-reader.ts) ---------------------------------------------------------

  /** The history index as this device reads it (its own key opens the index). */
  history(): Promise<HistoryItem[]> {
    return this.reader.history();
  }

  /** A friend bundle opened with the phrase (`kith archive restore`): friends back on this device. */
  restoreFriends(bundle: Uint8Array): Promise<FriendsRestored> {
    return restoreFriends(this.node, bundle);
  }

  /** The active list (current items) as this device reads it: its own copy merged with a holder's. */
  current(): Promise<CurrentItem[]> {
    return this.reader.current();
  }

  /** Which blob an id names: a blob id, a topic hash, or a conversation id. */
  resolve(id: string): ReturnType<ArchiveReader['resolve']> {
    return this.reader.resolve(id);
  }

  /** The ciphertext of an archive item (for the phrase fallback, which opens it elsewhere). */
  ciphertext(id: string): ReturnType<ArchiveReader['ciphertext']> {
    return this.reader.ciphertext(id);
  }

  /** The sealed bytes plus a holder's share re-wrapped to this device, when one answered. */
  ciphertextWithShare(id: string): ReturnType<ArchiveReader['ciphertextWithShare']> {
    return this.reader.ciphertextWithShare(id);
  }

  /** The sealed history index or active list (newest of this device and online holders), for the phrase path. */
  indexCiphertext(name: 'active' | 'conversations'): ReturnType<ArchiveReader['indexCiphertext']> {
    return this.reader.indexCiphertext(name);
  }

  /** Opens an archived transcript (every history segment of a topic or conversation id). */
  get(id: string): Promise<ArchivedTranscript> {
    return this.reader.get(id);
  }

  // --- adoption ------------------------------------------------------------------------------

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
    return this.state.withState(() => this.adoptNow(name, version, entries));
  }

  private async adoptNow(
    name: 'active' | 'conversations',
    version: number,
    entries: ListedActive[] | ListedHistory[],
  ): Promise<{ entries: number }> {
    const state = await this.state.load();
    const out = adoptEntries(state, name, version, entries);
    await this.state.save(state);
    return out;
  }
}
