/** `kith archive …`: the replicated archive of this device's user (docs/DESIGN.md §7, §12). */
import { readFile } from 'node:fs/promises';
import {
  friendBundleTopic,
  openActiveList,
  openHistoryIndex,
  openTranscript,
  topicHash,
} from '@kith/core/archive/archive-seal';
import { activeListRows, historySegmentRows, transcriptView } from '@kith/core/archive/archive-views';
import { historySegments } from '@kith/core/archive/history-index';
import type { Transcript } from '@kith/core/archive/transcript';
import type { AgreementKeyPair } from '@kith/core/identity/derive';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { checkPhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { toHex } from '@kith/core/crypto/index';
import { isKithError, KithError } from '@kith/core/errors';
import type { ApiClient, ResponseOf } from '@kith/api';
import { connectAgent } from '@kith/api/locate-agent';
import { type Command, flagString } from '../command.ts';
import { readSecretFile } from '../io.ts';
import { describeHeldFor, relayStatus } from './relay-view.ts';

export type ArchiveStatusView = ResponseOf<'archiveStatus'>;

const BAR_WIDTH = 30;

/** `[#########.........]  3 of 10 repaired` */
export function progressBar(done: number, total: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((BAR_WIDTH * Math.min(done, total)) / total);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done} of ${total} repaired`;
}

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Items still sealed to a revoked device (archive-rewrap.ts), in a sentence. */
export function describeRewrap(r: { waiting: number; history: number; lastPassAt: string | null }): string {
  if (r.lastPassAt === null) return 'Re-wrap: not counted yet (the first archive pass has not run).';
  if (r.waiting === 0) return 'Re-wrap: no item is sealed to a revoked device.';
  const items = `${r.waiting} item${r.waiting === 1 ? '' : 's'}`;
  return (
    `Re-wrap: ${items} still sealed to a revoked device, waiting to be sealed to today's devices` +
    (r.history > 0
      ? ` (${r.history} history: run \`kith archive rewrap --phrase-file F\` with two devices active).`
      : ' (the next archive pass does it when the holders are online).')
  );
}

export function describeStatus(s: ArchiveStatusView): string {
  const lines = [
    `${s.items} items, ${bytesText(s.bytes)}, wanted on ${s.replicas} devices each`,
    `Copies: ${
      Object.entries(s.copies)
        .map(([copies, items]) => `${items} item${items === 1 ? '' : 's'} on ${copies}`)
        .join(', ') || 'none'
    }`,
    s.underReplicated === 0
      ? 'Every item has enough copies.'
      : `${s.underReplicated} item${s.underReplicated === 1 ? '' : 's'} under-replicated.`,
  ];
  if (s.repair.running) lines.push(`Repair: ${progressBar(s.repair.done, s.repair.total)}`);
  if (s.holders.length) {
    lines.push('Holders:');
    for (const h of s.holders) {
      const who = h.self ? 'this device' : h.own ? 'my device' : `friend ${h.userId?.slice(0, 11) ?? '?'}`;
      lines.push(
        `  ${h.deviceId.slice(0, 11)}  ${who.padEnd(20)} ${h.online ? 'online ' : 'offline'}  ` +
          `${h.held} held${h.failed ? `, ${h.failed} failed check` : ''}${h.lost ? `, ${h.lost} lost` : ''}`,
      );
    }
  }
  for (const l of s.lists) {
    const what = l.name === 'conversations' ? 'History index' : 'Active list';
    lines.push(
      `${what} v${l.version}: on ${l.holders} of ${l.wanted} other device${l.wanted === 1 ? '' : 's'}` +
        (l.conflict ? ' (a holder has a competing version; the next archive pass writes a newer one)' : ''),
    );
  }
  lines.push(describeRewrap(s.rewrap));
  lines.push(
    `Held here for other devices: ${s.heldForOthers.items} items, ${bytesText(s.heldForOthers.bytes)}`,
  );
  return lines.join('\n');
}

/** Lists (history index, active list) fewer devices hold than wanted (list-placement.ts). */
export function shortLists(s: ArchiveStatusView): number {
  return s.lists.filter((l) => l.holders < l.wanted).length;
}

async function waitRepaired(agent: ApiClient, timeoutMs: number): Promise<ArchiveStatusView> {
  const deadline = Date.now() + timeoutMs;
  const tty = process.stderr.isTTY;
  for (;;) {
    const s = await agent.archiveStatus();
    if (s.underReplicated === 0 && shortLists(s) === 0) {
      if (tty) process.stderr.write('\n');
      return s;
    }
    if (Date.now() > deadline) {
      if (tty) process.stderr.write('\n');
      throw new KithError(
        'ARCHIVE_NO_HOLDER',
        `${s.underReplicated} items and ${shortLists(s)} lists are still under-replicated; bring another device online and run this again.`,
      );
    }
    // Each short list counts as one item still to repair.
    const short = shortLists(s);
    const bar = progressBar(s.repair.done, Math.max(s.repair.total, s.underReplicated) + short);
    process.stderr.write(tty ? `\rRepair ${bar}` : `Repair ${bar}\n`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export const archiveStatusCommand: Command = {
  name: 'archive status',
  usage: 'kith archive status [--wait [--timeout SECONDS]] [--json]',
  summary: 'Archive items, bytes, copies per item, holders, under-replicated, repair progress.',
  flags: {
    wait: {
      kind: 'boolean',
      description: 'wait (showing a progress bar) until no item and no list is under-replicated',
    },
    timeout: { kind: 'string', description: 'with --wait: give up after this many seconds (default 300)' },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const agent = await connectAgent(dataDir);
    let s: ArchiveStatusView;
    if (args.flags.wait === true) {
      const seconds = Number(flagString(args, 'timeout') ?? '300');
      if (!Number.isFinite(seconds) || seconds <= 0)
        throw new KithError('USAGE', '--timeout is a number of seconds, more than 0.');
      s = await waitRepaired(agent, seconds * 1000);
    } else {
      s = await agent.archiveStatus();
    }
    const relay = await relayStatus(agent);
    out.result({ ...s, relay }, `${describeStatus(s)}\n${describeHeldFor(relay)}`);
  },
};

export const archivePutCommand: Command = {
  name: 'archive put',
  usage: 'kith archive put FILE [--kind current|history|index] [--json]',
  summary: 'Store a file of ciphertext in the archive and replicate it (for tests and tools).',
  flags: { kind: { kind: 'string', description: 'current, history (default) or index' } },
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const path = args.positionals[0];
    if (!path) throw new KithError('USAGE', 'Name the file to store: kith archive put FILE.');
    const kind = flagString(args, 'kind') ?? 'history';
    if (!['current', 'history', 'index'].includes(kind))
      throw new KithError('USAGE', '--kind is current, history or index.');
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw new KithError('FILE_UNREADABLE', `Cannot read ${path} (${(e as NodeJS.ErrnoException).code}).`);
    }
    const agent = await connectAgent(dataDir);
    const r = await agent.putBlob({
      body: { kind: kind as 'current' | 'history' | 'index', ciphertext: bytes.toString('base64') },
    });
    out.result(
      r,
      `${r.status === 'stored' ? 'Stored' : 'Already stored'} ${r.id} (${r.size} bytes); copies sent to ${r.sentTo.length} device${r.sentTo.length === 1 ? '' : 's'}.`,
    );
  },
};

// --- archived conversations (docs/ARCHITECTURE.md "Archive encryption and retrieval") ---------

export const archiveSyncCommand: Command = {
  name: 'archive sync',
  usage: 'kith archive sync [--json]',
  summary: 'Archive every conversation now (current or history, sealed); the agent also does this by itself.',
  flags: {},
  maxPositionals: 0,
  async run({ dataDir, out }) {
    const agent = await connectAgent(dataDir);
    const { progressLine, withAgentEvents } = await import('../progress.ts');
    const progress = progressLine(out);
    progress.update('Archiving every conversation…');
    const r = await withAgentEvents(
      dataDir,
      progress,
      (e) => {
        const p = e.data as { done?: unknown; total?: unknown; conversations?: unknown };
        if (e.type === 'archive.progress' && typeof p.done === 'number' && typeof p.total === 'number')
          progress.update(`Archiving: ${p.done} of ${p.total} conversations done…`);
        if (e.type === 'archive.synced' && typeof p.conversations === 'number')
          progress.update(`Archiving: ${p.conversations} of ${p.conversations} conversations done.`);
      },
      () => agent.syncArchive({ body: {} }),
      (e, r) =>
        e.type === 'archive.synced' &&
        (e.data as { conversations?: unknown }).conversations === r.conversations,
    );
    out.result(r, describeSync(r));
  },
};

/**
 * One pass in words. Every conversation is in exactly one of: sealed as current, moved to
 * history, unchanged, not archived; "kept current" is a note on some of them, not a fifth part.
 */
export function describeSync(r: ResponseOf<'syncArchive'>): string {
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const codes = [...new Set(r.failed.map((f) => f.code))].join(', ');
  const parts = [
    `${r.sealedCurrent} sealed as current`,
    `${r.movedToHistory} moved to history`,
    `${r.unchanged} unchanged`,
    ...(r.failed.length ? [`${r.failed.length} not archived (${codes})`] : []),
  ];
  return (
    `${plural(r.conversations, 'conversation')}: ${parts.join(', ')}.` +
    (r.keptCurrent
      ? `\n${plural(r.keptCurrent, 'conversation is', 'conversations are')} due for history but kept current: history needs a second device of yours.`
      : '')
  );
}

/** The same words with or without --phrase-file when there is nothing in history. */
const NO_HISTORY = 'No conversation is in history yet.';

type HistoryView = ResponseOf<'archiveHistory'>[number];

/**
 * The keys the phrase gives back: the recovery key and every device key of the user's identity
 * log (revoked ones too: a lost X or Y still holds its share in the sealed items). In memory only.
 */
export async function phraseKeys(
  agent: ApiClient,
  args: Parameters<Command['run']>[0]['args'],
): Promise<AgreementKeyPair[]> {
  const seed = await phraseSeed(agent, args);
  if (seed === undefined) return [];
  const identity = await agent.identity();
  return [
    deriveRootKeys(seed).recovery,
    ...identity.devices.map((d) => deriveDeviceKeys(seed, d.index).agreement),
  ];
}

/** The seed of `--phrase-file` (checked to be this device's user's), or undefined without it. Never stored. */
async function phraseSeed(
  agent: ApiClient,
  args: Parameters<Command['run']>[0]['args'],
): Promise<Uint8Array | undefined> {
  const file = flagString(args, 'phrase-file');
  if (file === undefined) return undefined;
  const phrase = checkPhrase(await readSecretFile(file, 'phrase'));
  const b39 = flagString(args, 'bip39-passphrase-file');
  const seed = phraseToSeed(phrase, b39 === undefined ? '' : await readSecretFile(b39, 'BIP39 passphrase'));
  const identity = await agent.identity();
  if (deriveRootKeys(seed).userId !== identity.userId) {
    throw new KithError('INVALID_INPUT', 'That phrase belongs to another user than this device’s.');
  }
  return seed;
}

export const PHRASE_FLAGS = {
  'phrase-file': {
    kind: 'string',
    description: 'open with the recovery phrase (read from this file) instead of the devices’ key shares',
  },
  'bip39-passphrase-file': { kind: 'string', description: 'optional BIP39 passphrase (“25th word”)' },
} as const;

export const archiveHistoryCommand: Command = {
  name: 'archive history',
  usage: 'kith archive history [--phrase-file F] [--json]',
  summary:
    'Conversations moved to history (from the sealed history index). With --phrase-file the index is\n' +
    'opened here with the recovery key (a device that recovered from the phrase).',
  flags: PHRASE_FLAGS,
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const agent = await connectAgent(dataDir);
    let items: HistoryView[];
    const keys = await phraseKeys(agent, args);
    const r =
      keys.length > 0
        ? await agent.archiveIndex({ params: { name: 'conversations' } }).catch((e: unknown) => {
            // No history index anywhere yet: nothing is in history (as without the phrase).
            if (isKithError(e, 'ARCHIVE_NOT_FOUND')) return undefined;
            throw e;
          })
        : undefined;
    if (keys.length > 0 && r === undefined) items = [];
    else if (r !== undefined) {
      const index = await openHistoryIndex(new Uint8Array(Buffer.from(r.ciphertext, 'base64')), { keys });
      // The agent keeps these entries, so its next pass re-seals the index to this device too.
      await agent.adoptIndex({
        params: { name: 'conversations' },
        body: {
          version: r.version,
          entries: historySegmentRows(index),
        },
      });
      const friends = toHex(friendBundleTopic());
      items = index.entries
        .filter((e) => toHex(e.topic) !== friends) // the friend bundle is no conversation
        .map((e) => ({
          id: toHex(e.blob),
          topic: toHex(e.topic),
          conversation: null,
          closedAt: new Date(e.closedAt).toISOString(),
          messages: e.messages,
        }))
        .sort((a, b) => (a.closedAt < b.closedAt ? 1 : a.closedAt > b.closedAt ? -1 : 0));
    } else {
      items = await agent.archiveHistory();
    }
    out.result(
      items,
      items.length === 0
        ? NO_HISTORY
        : items
            .map(
              (i) =>
                `${i.id}  ${i.closedAt.slice(0, 10)}  ${String(i.messages).padStart(5)} messages  ${i.conversation ?? `topic ${i.topic.slice(0, 12)}`}`,
            )
            .join('\n'),
    );
  },
};

type TranscriptView = ResponseOf<'archiveItem'>;

function viewOf(id: string, archive: 'current' | 'history', t: Transcript): TranscriptView {
  return transcriptView(id, archive, t);
}

type CurrentView = ResponseOf<'archiveCurrent'>[number];

/** The active list opened with the phrase's keys plus the holder's share the agent fetched. */
export async function currentByPhrase(agent: ApiClient, keys: AgreementKeyPair[]): Promise<CurrentView[]> {
  const r = await agent.archiveIndex({ params: { name: 'active' } });
  const shares = r.share ? [new Uint8Array(Buffer.from(r.share, 'base64'))] : [];
  const list = await openActiveList(new Uint8Array(Buffer.from(r.ciphertext, 'base64')), { keys, shares });
  await agent.adoptIndex({
    params: { name: 'active' },
    body: {
      version: r.version,
      entries: activeListRows(list),
    },
  });
  return list.entries
    .map((e) => ({
      id: toHex(e.blob),
      topic: toHex(e.topic),
      conversation: null,
      updatedAt: new Date(e.updatedAt).toISOString(),
    }))
    .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
}

/**
 * The blobs an id names, read from the lists opened with the phrase's keys (a device that
 * recovered from the phrase is not among their recipients yet): a blob id names that one; a
 * topic or conversation id every history segment of it, oldest first. The id itself when no
 * list names it (the agent then looks it up).
 */
async function blobsByPhrase(agent: ApiClient, keys: AgreementKeyPair[], id: string): Promise<string[]> {
  const typed = id.toLowerCase();
  // The whole id, or its start as `kith archive history` shows a topic (at least 4 hex characters).
  const prefix = /^[0-9a-f]{4,63}$/.test(typed) ? typed : undefined;
  const exact = new Set([typed, toHex(topicHash(id))]);
  const wanted = { has: (x: string) => exact.has(x) || (prefix !== undefined && x.startsWith(prefix)) };
  try {
    const r = await agent.archiveIndex({ params: { name: 'conversations' } });
    const index = await openHistoryIndex(new Uint8Array(Buffer.from(r.ciphertext, 'base64')), { keys });
    const segments = historySegments(index);
    const one = segments.find((e) => wanted.has(toHex(e.blob)));
    if (one) return [toHex(one.blob)];
    const ofTopic = segments
      .filter((e) => wanted.has(toHex(e.topic)))
      .sort((a, b) => a.closedAt - b.closedAt || (toHex(a.blob) < toHex(b.blob) ? -1 : 1));
    if (ofTopic.length > 0) return ofTopic.map((e) => toHex(e.blob));
  } catch {
    // no history index reachable or openable: try the active list
  }
  try {
    const hit = (await currentByPhrase(agent, keys)).find((e) => wanted.has(e.id) || wanted.has(e.topic));
    if (hit) return [hit.id];
  } catch {
    // neither list: the agent resolves the id itself
  }
  return [id];
}

/** Segments of one conversation (oldest first) as one view: every message once, by sentAt. */
function joinViews(views: TranscriptView[]): TranscriptView {
  const newest = views[views.length - 1]!;
  const messages = new Map<string, TranscriptView['messages'][number]>();
  for (const v of views) for (const m of v.messages) if (!messages.has(m.id)) messages.set(m.id, m);
  const sorted = [...messages.values()].sort((a, b) =>
    a.sentAt === b.sentAt ? (a.id < b.id ? -1 : 1) : a.sentAt < b.sentAt ? -1 : 1,
  );
  return { ...newest, messages: sorted, events: views.reduce((n, v) => Math.max(n, v.events), 0) };
}

export const archiveCurrentCommand: Command = {
  name: 'archive current',
  usage: 'kith archive current [--phrase-file F] [--json]',
  summary:
    'Conversations archived as current (from the sealed active list, opened with a holder’s share).\n' +
    'With --phrase-file it is opened here with the keys the phrase gives back (a recovered device).',
  flags: PHRASE_FLAGS,
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const agent = await connectAgent(dataDir);
    const keys = await phraseKeys(agent, args);
    const items =
      keys.length > 0
        ? await currentByPhrase(agent, keys).catch((e: unknown) => {
            if (isKithError(e, 'ARCHIVE_NOT_FOUND')) return [];
            throw e;
          })
        : await agent.archiveCurrent();
    out.result(
      items,
      items.length === 0
        ? 'No conversation is archived as current.'
        : items
            .map(
              (i) =>
                `${i.id}  ${i.updatedAt.slice(0, 16).replace('T', ' ')}  ${i.conversation ?? `topic ${i.topic.slice(0, 12)}`}`,
            )
            .join('\n'),
    );
  },
};

export const archiveGetCommand: Command = {
  name: 'archive get',
  usage: 'kith archive get ID [--phrase-file F] [--json]',
  summary:
    'Open an archived conversation (ID: a blob id or topic from `kith archive history`, or a conversation id).\n' +
    'With --phrase-file the sealed bytes are fetched through the agent and opened here with the keys the\n' +
    'phrase gives back (the recovery key and the devices’ keys): the recovery path.',
  flags: PHRASE_FLAGS,
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const id = args.positionals[0];
    if (!id) throw new KithError('USAGE', 'Name the item: kith archive get ID (see `kith archive history`).');
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new KithError('USAGE', 'ID is hex or a conversation id.');
    const agent = await connectAgent(dataDir);
    const keys = await phraseKeys(agent, args);
    let t: TranscriptView;
    if (keys.length > 0) {
      const views: TranscriptView[] = [];
      for (const blob of await blobsByPhrase(agent, keys, id)) {
        const r = await agent.archiveBlob({ params: { id: blob } });
        // A current item: the phrase gives the owner-group key, the holder's share comes through the agent.
        const shares = r.share ? [new Uint8Array(Buffer.from(r.share, 'base64'))] : [];
        const opened = await openTranscript(new Uint8Array(Buffer.from(r.ciphertext, 'base64')), {
          keys,
          shares,
        });
        views.push(viewOf(r.id, opened.kind, opened.transcript));
      }
      t = joinViews(views);
    } else {
      t = await agent.archiveItem({ params: { id } });
    }
    out.result(
      t,
      [
        `${t.title || t.conversation} (${t.kind}, ${t.archive}${t.closedAt ? `, closed ${t.closedAt.slice(0, 10)}` : ''})`,
        ...t.messages.map(
          (m) => `${m.sentAt.slice(0, 16).replace('T', ' ')}  ${m.from.slice(0, 11)}  ${m.text}`,
        ),
      ].join('\n'),
    );
  },
};
