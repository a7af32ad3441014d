/** `kith archive …`: the replicated archive of this device's user (DESIGN §7, §12). */
import { readFile } from 'node:fs/promises';
import { KithError } from '@kith/core/errors';
import { type AgentClient, connectAgent } from '../client.ts';
import { type Command, flagString } from '../command.ts';

interface HolderView {
  deviceId: string;
  userId: string | null;
  own: boolean;
  self: boolean;
  online: boolean;
  held: number;
  failed: number;
  lost: number;
}

export interface ArchiveStatusView {
  replicas: number;
  items: number;
  bytes: number;
  copies: Record<string, number>;
  holders: HolderView[];
  underReplicated: number;
  repair: { running: boolean; total: number; done: number; pendingStores: number; lastPassAt: string | null };
  heldForOthers: { items: number; bytes: number };
}

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
  lines.push(
    `Held here for other devices: ${s.heldForOthers.items} items, ${bytesText(s.heldForOthers.bytes)}`,
  );
  return lines.join('\n');
}

async function waitRepaired(agent: AgentClient, timeoutMs: number): Promise<ArchiveStatusView> {
  const deadline = Date.now() + timeoutMs;
  const tty = process.stderr.isTTY;
  for (;;) {
    const s = await agent.get<ArchiveStatusView>('/archive/status');
    if (s.underReplicated === 0) {
      if (tty) process.stderr.write('\n');
      return s;
    }
    if (Date.now() > deadline) {
      if (tty) process.stderr.write('\n');
      throw new KithError(
        'ARCHIVE_NO_HOLDER',
        `${s.underReplicated} items are still under-replicated; bring another device online and run this again.`,
      );
    }
    const bar = progressBar(s.repair.done, Math.max(s.repair.total, s.underReplicated));
    process.stderr.write(tty ? `\rRepair ${bar}` : `Repair ${bar}\n`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export const archiveStatusCommand: Command = {
  name: 'archive status',
  usage: 'kith archive status [--wait [--timeout SECONDS]] [--json]',
  summary: 'Archive items, bytes, copies per item, holders, under-replicated, repair progress.',
  flags: {
    wait: { kind: 'boolean', description: 'wait (showing a progress bar) until no item is under-replicated' },
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
      s = await agent.get<ArchiveStatusView>('/archive/status');
    }
    out.result(s, describeStatus(s));
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
    const r = await agent.post<{ id: string; size: number; status: string; sentTo: string[] }>(
      '/archive/blobs',
      {
        kind,
        ciphertext: bytes.toString('base64'),
      },
    );
    out.result(
      r,
      `${r.status === 'stored' ? 'Stored' : 'Already stored'} ${r.id} (${r.size} bytes); copies sent to ${r.sentTo.length} device${r.sentTo.length === 1 ? '' : 's'}.`,
    );
  },
};
