/**
 * `kith archive restore` (docs/ARCHITECTURE.md "Restoring the archive"): every archived
 * conversation this device can open — with the phrase after a recovery, or with its own key
 * shares and a holder's — is handed to the agent, which keeps its messages and seals them again
 * to today's devices.
 */
import { friendBundleTopic, openHistoryIndex, openTranscript } from '@kith/core/archive/archive-seal';
import { historySegments } from '@kith/core/archive/history-index';
import { toHex } from '@kith/core/crypto/index';
import { isKithError, KithError } from '@kith/core/errors';
import type { AgreementKeyPair } from '@kith/core/identity/derive';
import type { ApiClient, BodyOf } from '@kith/api';
import { connectAgent } from '@kith/api/locate-agent';
import { type Command, flagString } from '../command.ts';
import { currentByPhrase, PHRASE_FLAGS, phraseKeys, phraseSeed } from './archive-commands.ts';
import { type FriendsReport, restoreFriendsByPhrase } from './restore-friends.ts';

export interface RestoreReport {
  /** Archived items found in the lists the phrase opened (history segments and current items). */
  items: number;
  conversations: number;
  /** Messages this device did not have before. */
  added: number;
  failed: { id: string; code: string }[];
  /** With the phrase: friends back from the archived friend list (restore-friends.ts). */
  friends?: FriendsReport;
}

/**
 * Every archived item the phrase's keys list: history segments, then current items; and apart,
 * the friend bundles the history index lists (newest first).
 */
async function listedBlobs(
  agent: ApiClient,
  keys: AgreementKeyPair[],
  bundles: string[] = [],
): Promise<string[]> {
  const blobs: string[] = [];
  const index = await agent.archiveIndex({ params: { name: 'conversations' } }).catch((e: unknown) => {
    if (isKithError(e, 'ARCHIVE_NOT_FOUND')) return undefined;
    throw e;
  });
  if (index) {
    const opened = await openHistoryIndex(new Uint8Array(Buffer.from(index.ciphertext, 'base64')), { keys });
    const segments = historySegments(opened);
    // Kept by the agent, so its next pass re-seals the index to this device.
    await agent.adoptIndex({
      params: { name: 'conversations' },
      body: {
        version: index.version,
        entries: segments.map((e) => ({
          topic: toHex(e.topic),
          blob: toHex(e.blob),
          from: e.from,
          closedAt: e.closedAt,
          messages: e.messages,
        })),
      },
    });
    const friends = toHex(friendBundleTopic());
    bundles.push(
      ...segments
        .filter((e) => toHex(e.topic) === friends)
        .sort((a, b) => b.closedAt - a.closedAt)
        .map((e) => toHex(e.blob)),
    );
    blobs.push(
      ...segments
        .filter((e) => toHex(e.topic) !== friends) // the friend bundle: restoreFriends
        .sort((a, b) => a.closedAt - b.closedAt)
        .map((e) => toHex(e.blob)),
    );
  }
  const current = await currentByPhrase(agent, keys).catch((e: unknown) => {
    if (isKithError(e, 'ARCHIVE_NOT_FOUND')) return [];
    throw e;
  });
  blobs.push(...current.map((c) => c.id));
  return [...new Set(blobs)];
}

type RestoreBody = BodyOf<'restoreConversation'>;

/** One archived item, opened in the CLI with the phrase's keys (and a holder's share for a current item). */
async function openedByPhrase(agent: ApiClient, keys: AgreementKeyPair[], id: string): Promise<RestoreBody> {
  const r = await agent.archiveBlob({ params: { id } });
  const shares = r.share ? [new Uint8Array(Buffer.from(r.share, 'base64'))] : [];
  const { transcript: t } = await openTranscript(new Uint8Array(Buffer.from(r.ciphertext, 'base64')), {
    keys,
    shares,
  });
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

/** One archived item, opened by the agent with this device's share and another's (no phrase). */
async function openedByAgent(agent: ApiClient, id: string): Promise<RestoreBody> {
  const t = await agent.archiveItem({ params: { id } });
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

/** Without the phrase: the items the agent's own lists name (it must be able to open them). */
async function listedByAgent(agent: ApiClient): Promise<string[]> {
  const history = await agent.archiveHistory();
  const current = await agent.archiveCurrent().catch((e: unknown) => {
    if (isKithError(e, 'ARCHIVE_NOT_FOUND')) return [];
    throw e;
  });
  return [...new Set([...history.map((h) => h.id), ...current.map((c) => c.id)])];
}

export const archiveRestoreCommand: Command = {
  name: 'archive restore',
  usage: 'kith archive restore [--phrase-file F] [--json]',
  summary:
    'Keep every archived conversation this device can open among its messages (`kith messages`):\n' +
    'with --phrase-file after a recovery (the keys the phrase gives back), else with this device’s\n' +
    'shares and a holder’s. The agent seals them again to your devices of today. With the phrase it\n' +
    'also brings back the archived friend list and introduces this device to each friend.',
  flags: PHRASE_FLAGS,
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const agent = await connectAgent(dataDir);
    const keys = await phraseKeys(agent, args);
    const byPhrase = flagString(args, 'phrase-file') !== undefined;
    const { progressLine } = await import('../progress.ts');
    const progress = progressLine(out);
    progress.update('Opening the archive lists…');
    let blobs: string[];
    const bundles: string[] = [];
    try {
      blobs = byPhrase ? await listedBlobs(agent, keys, bundles) : await listedByAgent(agent);
    } catch (e) {
      if (!byPhrase && isKithError(e, 'ARCHIVE_LIST_UNREADABLE'))
        throw new KithError(
          'ARCHIVE_LIST_UNREADABLE',
          'This device cannot open the archive lists yet (a recovered device): run `kith archive restore --phrase-file F`.',
        );
      throw e;
    }
    const report: RestoreReport = { items: blobs.length, conversations: 0, added: 0, failed: [] };
    const conversations = new Set<string>();
    for (const [i, id] of blobs.entries()) {
      progress.update(`Restoring: ${i} of ${blobs.length} archived items…`);
      try {
        const body = byPhrase ? await openedByPhrase(agent, keys, id) : await openedByAgent(agent, id);
        const kept = await agent.restoreConversation({ body });
        conversations.add(kept.conversation);
        report.added += kept.added;
      } catch (e) {
        report.failed.push({ id, code: isKithError(e) ? e.code : 'INTERNAL' });
      }
    }
    progress.update(`Restoring: ${blobs.length} of ${blobs.length} archived items done.`);
    const seed = byPhrase ? await phraseSeed(agent, args) : undefined;
    if (seed && bundles.length > 0) {
      progress.update('Restoring friends and introducing this device to them…');
      report.friends = await restoreFriendsByPhrase(agent, keys, seed, bundles);
    }
    progress.done();
    report.conversations = conversations.size;
    out.result(
      report,
      `${report.conversations} conversation${report.conversations === 1 ? '' : 's'} restored ` +
        `(${report.added} message${report.added === 1 ? '' : 's'} new on this device) from ${report.items} archived item${report.items === 1 ? '' : 's'}` +
        (report.failed.length
          ? `; ${report.failed.length} could not be opened (${[...new Set(report.failed.map((f) => f.code))].join(', ')}).`
          : '.') +
        (report.friends
          ? `\n${report.friends.friends} friend${report.friends.friends === 1 ? '' : 's'} in your list (${report.friends.added.length} new here); ` +
            `${report.friends.introduced.filter((i) => i.outcome === 'merged').length} of ${report.friends.introduced.length} friend devices introduced to this device.`
          : ''),
    );
  },
};
