/**
 * Restoring the archive (docs/ARCHITECTURE.md "Restoring the archive"): every archived
 * conversation this device can open — with the phrase after a recovery, or with its own key
 * shares and a holder's — is kept among its messages (restored-messages.ts) and sealed again to
 * today's devices by the next pass. With the phrase the archived friend list comes back too,
 * and each friend device that does not know this device yet is introduced to it
 * (introduce-recovered.ts); one offline then is introduced when it comes back
 * (introductions-pending.ts). One implementation for `kith archive restore` and the web UI
 * (`POST /api/archive/restore-run`): a run in the background, followed by `GET` and events.
 *
 * The phrase comes in the start request (like a revocation), is turned into keys in memory for
 * the run and is neither logged nor stored; the seed is zeroed when the run ends.
 */
import {
  friendBundleTopic,
  openActiveList,
  openFriendBundle,
  openHistoryIndex,
  openTranscript,
} from '@kith/core/archive/archive-seal';
import { activeListRows, historySegmentRows } from '@kith/core/archive/archive-views';
import { type FriendBundle, FriendBundleFormat } from '@kith/core/archive/friend-bundle';
import { toHex } from '@kith/core/crypto/index';
import { isKithError, KithError } from '@kith/core/errors';
import { type AgreementKeyPair, deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { checkPhrase, phraseToSeed } from '@kith/core/identity/phrase';
import type { RestoredConversation, RestoredMessages } from '../messaging/restored-messages.ts';
import {
  introduceRecovered,
  type Introduction,
  type IntroductionTarget,
} from '../peer/introduce-recovered.ts';
import type { PendingIntroductions } from '../peer/introductions-pending.ts';
import type { PeerNode } from '../peer/peer-node.ts';
import type { Archivist } from './archivist.ts';

export interface FriendsReport {
  /** Friends of the restored list this device now counts. */
  friends: number;
  /** Users that became friends here by the restore. */
  added: string[];
  /** Each friend device that was not linked, and how its introduction went. */
  introduced: Introduction[];
  failed: { id: string; code: string }[];
}

export interface RestoreReport {
  /** Archived items found in the lists (history segments and current items). */
  items: number;
  conversations: number;
  /** Messages this device did not have before. */
  added: number;
  failed: { id: string; code: string }[];
  friends?: FriendsReport;
}

export type RestoreStage = 'idle' | 'lists' | 'items' | 'friends' | 'done' | 'failed';

export interface RestoreRun {
  running: boolean;
  byPhrase: boolean;
  stage: RestoreStage;
  done: number;
  total: number;
  report: RestoreReport | null;
  error: { code: string; message: string } | null;
}

const IDLE: RestoreRun = {
  running: false,
  byPhrase: false,
  stage: 'idle',
  done: 0,
  total: 0,
  report: null,
  error: null,
};

const notFound =
  <T>(fallback: T) =>
  (e: unknown): T => {
    if (isKithError(e, 'ARCHIVE_NOT_FOUND')) return fallback;
    throw e;
  };

export class ArchiveRestore {
  #run: RestoreRun = IDLE;
  #finished: Promise<void> = Promise.resolve();

  constructor(
    private readonly node: PeerNode,
    private readonly archivist: Archivist,
    private readonly restored: RestoredMessages,
    /** Keeps trying the friend devices that were not reached (introductions-pending.ts). */
    private readonly pending?: PendingIntroductions,
  ) {}

  /** The run in progress, or the last one. */
  state(): RestoreRun {
    return structuredClone(this.#run);
  }

  /** Resolves when the current run (if any) has ended; for tests and shutdown. */
  settled(): Promise<void> {
    return this.#finished;
  }

  /**
   * Starts a run and answers at once (its state); a wrong phrase is refused here, before
   * anything runs. ARCHIVE_RESTORE_RUNNING while one runs.
   */
  start(input: { phrase?: string; bip39Passphrase?: string }): RestoreRun {
    if (this.#run.running) throw new KithError('ARCHIVE_RESTORE_RUNNING');
    const seed = input.phrase === undefined ? undefined : this.seedOf(input.phrase, input.bip39Passphrase);
    this.#run = { ...IDLE, running: true, byPhrase: seed !== undefined, stage: 'lists' };
    this.publishProgress();
    this.#finished = this.work(seed).then(
      (report) => {
        this.#run = { ...this.#run, running: false, stage: 'done', report };
        this.node.options.events.publish('archive.restore.done', {
          byPhrase: this.#run.byPhrase,
          conversations: report.conversations,
          added: report.added,
          failed: report.failed.length,
        });
      },
      (e: unknown) => {
        const err = isKithError(e) ? e : new KithError('INTERNAL');
        if (!isKithError(e)) this.node.log.error({ err: e }, 'archive restore failed');
        this.#run = {
          ...this.#run,
          running: false,
          stage: 'failed',
          error: { code: err.code, message: err.message },
        };
        this.node.options.events.publish('archive.restore.failed', { code: err.code });
      },
    );
    return this.state();
  }

  /** The seed of the phrase, checked to be this device's user's. */
  private seedOf(phrase: string, bip39Passphrase = ''): Uint8Array {
    const seed = phraseToSeed(checkPhrase(phrase), bip39Passphrase);
    if (deriveRootKeys(seed).userId !== this.node.userId) {
      seed.fill(0);
      throw new KithError('PHRASE_INVALID', 'It is the phrase of another user than this device’s.');
    }
    return seed;
  }

  private progress(stage: RestoreStage, done: number, total: number): void {
    this.#run = { ...this.#run, stage, done, total };
    this.publishProgress();
  }

  private publishProgress(): void {
    const { stage, done, total } = this.#run;
    this.node.options.events.publish('archive.restore.progress', { stage, done, total });
  }

  private async work(seed: Uint8Array | undefined): Promise<RestoreReport> {
    try {
      const keys = seed ? this.phraseKeys(seed) : [];
      const bundles: string[] = [];
      let blobs: string[];
      try {
        blobs = seed ? await this.listedByPhrase(keys, bundles) : await this.listedByAgent();
      } catch (e) {
        if (!seed && isKithError(e, 'ARCHIVE_LIST_UNREADABLE'))
          throw new KithError(
            'ARCHIVE_LIST_UNREADABLE',
            'This device cannot open the archive lists yet (a recovered device): restore with the phrase (`kith archive restore --phrase-file F`, or the phrase on the Archive page).',
          );
        throw e;
      }
      const report: RestoreReport = { items: blobs.length, conversations: 0, added: 0, failed: [] };
      const conversations = new Set<string>();
      this.progress('items', 0, blobs.length);
      for (const [i, id] of blobs.entries()) {
        try {
          const c = seed ? await this.openedByPhrase(keys, id) : await this.openedByAgent(id);
          const kept = await this.restored.restore(c);
          conversations.add(kept.conversation);
          report.added += kept.added;
          if (kept.added > 0)
            this.node.options.events.publish('message.restored', {
              conversation: kept.conversation,
              added: kept.added,
            });
        } catch (e) {
          report.failed.push({ id, code: isKithError(e) ? e.code : 'INTERNAL' });
        }
        this.progress('items', i + 1, blobs.length);
      }
      report.conversations = conversations.size;
      if (seed && bundles.length > 0) {
        this.progress('friends', 0, bundles.length);
        report.friends = await this.restoreFriends(keys, seed, bundles);
        this.progress('friends', bundles.length, bundles.length);
      }
      return report;
    } finally {
      seed?.fill(0);
    }
  }

  /**
   * The keys the phrase gives back: the recovery key and every device key of the user's
   * identity log (revoked ones too: a lost X or Y still holds its share in the sealed items).
   */
  private phraseKeys(seed: Uint8Array): AgreementKeyPair[] {
    return [
      deriveRootKeys(seed).recovery,
      ...[...this.node.ownLog.devices.values()].map(
        (d) => deriveDeviceKeys(seed, d.certificate.index).agreement,
      ),
    ];
  }

  /**
   * Every archived item the phrase's keys list: history segments (oldest first), then current
   * items; apart, into `bundles`, the friend bundles the history index lists (newest first).
   * Both lists are adopted, so the next pass re-seals them to this device.
   */
  private async listedByPhrase(keys: AgreementKeyPair[], bundles: string[]): Promise<string[]> {
    const blobs: string[] = [];
    const index = await this.archivist.indexCiphertext('conversations').catch(notFound(undefined));
    if (index) {
      const rows = historySegmentRows(await openHistoryIndex(index.ciphertext, { keys }));
      await this.archivist.adopt('conversations', index.version, rows);
      const friends = toHex(friendBundleTopic());
      bundles.push(
        ...rows
          .filter((e) => e.topic === friends)
          .sort((a, b) => b.closedAt - a.closedAt)
          .map((e) => e.blob),
      );
      blobs.push(
        ...rows
          .filter((e) => e.topic !== friends)
          .sort((a, b) => a.closedAt - b.closedAt)
          .map((e) => e.blob),
      );
    }
    const active = await this.archivist.indexCiphertext('active').catch(notFound(undefined));
    if (active) {
      const list = await openActiveList(active.ciphertext, {
        keys,
        shares: active.share ? [active.share] : [],
      });
      const rows = activeListRows(list);
      await this.archivist.adopt('active', active.version, rows);
      blobs.push(...rows.sort((a, b) => b.updatedAt - a.updatedAt).map((e) => e.blob));
    }
    return [...new Set(blobs)];
  }

  /** Without the phrase: the items the agent's own lists name (it must be able to open them). */
  private async listedByAgent(): Promise<string[]> {
    const history = await this.archivist.history();
    const current = await this.archivist.current().catch(notFound([]));
    return [...new Set([...history.map((h) => h.id), ...current.map((c) => c.id)])];
  }

  /** One item opened with the phrase's keys (and a holder's share for a current item). */
  private async openedByPhrase(keys: AgreementKeyPair[], id: string): Promise<RestoredConversation> {
    const r = await this.archivist.ciphertextWithShare(id);
    const { transcript: t } = await openTranscript(r.ciphertext, { keys, shares: r.share ? [r.share] : [] });
    return {
      conversation: t.conversation,
      kind: t.kind,
      title: t.topic,
      members: [...t.members],
      messages: t.messages.map((m) => ({
        id: m.id,
        from: m.from,
        device: m.device,
        sentAt: m.sentAt,
        text: m.text,
      })),
    };
  }

  /** One item opened by this device's share and another's (no phrase). */
  private async openedByAgent(id: string): Promise<RestoredConversation> {
    const t = await this.archivist.get(id);
    return {
      conversation: t.conversation,
      kind: t.kind,
      title: t.title,
      members: t.members,
      messages: t.messages.map((m) => ({
        id: m.id,
        from: m.from,
        device: m.device,
        sentAt: Date.parse(m.sentAt),
        text: m.text,
      })),
    };
  }

  /**
   * Friends back (docs/PROTOCOL.md §9 "Friends after a recovery"): the bundles opened with the
   * phrase's keys; each friend device not linked now is introduced to this device by one link
   * as a lost device (its keys from the phrase); then each bundle is verified and merged.
   */
  private async restoreFriends(
    keys: AgreementKeyPair[],
    seed: Uint8Array,
    bundleIds: string[],
  ): Promise<FriendsReport> {
    const report: FriendsReport = { friends: 0, added: [], introduced: [], failed: [] };
    const opened: { id: string; bundle: FriendBundle }[] = [];
    for (const id of bundleIds) {
      try {
        const r = await this.archivist.ciphertextWithShare(id);
        opened.push({ id, bundle: (await openFriendBundle(r.ciphertext, { keys })).bundle });
      } catch (e) {
        report.failed.push({ id, code: isKithError(e) ? e.code : 'INTERNAL' });
      }
    }
    const friends = new Map<string, FriendBundle['friends'][number]>();
    for (const { bundle } of opened)
      for (const f of bundle.friends) if (!friends.has(f.user)) friends.set(f.user, f);
    // Introduced first, so the first dial after the restore finds them admitting this device.
    // Devices linked now know this device already (the invite giver, or an earlier introduction).
    const own = this.node.ownLog;
    let later: IntroductionTarget[] = [];
    const lost = [...own.devices.values()]
      .filter((d) => d.status === 'revoked')
      .map((d) => ({
        keys: deriveDeviceKeys(seed, d.certificate.index).agreement,
        certificate: d.certificate.bytes,
      }));
    if (lost.length > 0 && friends.size > 0) {
      const { introduced, targets } = await introduceRecovered({
        own,
        lost,
        friends: [...friends.values()],
        skipDevices: new Set(this.node.onlineSessions().map((s) => s.deviceId)),
      });
      report.introduced = introduced;
      const missed = new Set(introduced.filter((i) => i.outcome !== 'merged').map((i) => i.device));
      later = targets.filter((t) => missed.has(t.device));
    }
    for (const { id, bundle } of opened) {
      try {
        const restored = await this.archivist.restoreFriends(FriendBundleFormat.encode(bundle));
        report.friends = Math.max(report.friends, restored.friends);
        report.added.push(...restored.added.filter((u) => !report.added.includes(u)));
      } catch (e) {
        report.failed.push({ id, code: isKithError(e) ? e.code : 'INTERNAL' });
      }
    }
    // Offline now, introduced when they come back, friends by now (the keys stay in memory).
    if (later.length > 0) this.pending?.keep(lost, later);
    for (const l of lost) l.keys.privateKey.fill(0);
    return report;
  }
}
