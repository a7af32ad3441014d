/**
 * `kith archive restore` (docs/ARCHITECTURE.md "Restoring the archive"): asks the agent to
 * restore every archived conversation this device can open — with the phrase after a recovery,
 * or with its own key shares and a holder's — and follows the run to its report. The work is the
 * agent's (services/agent/src/archive/archive-restore.ts), the same the web UI starts; the
 * phrase read from the file goes to the agent in the start request only.
 */
import { type ApiClient, errorOf, type ResponseOf } from '@kith/api';
import { connectAgent } from '@kith/api/locate-agent';
import { type Command, phraseFlags } from '../command.ts';
import { PHRASE_FLAGS } from './archive-commands.ts';

export type RestoreRun = ResponseOf<'restoreArchiveState'>;
export type RestoreReport = NonNullable<RestoreRun['report']>;

/** How often the run's state is asked while it goes on (the CLI has no page to push to). */
const FOLLOW_MS = 500;

/** "Restoring: 3 of 10 archived items…" */
export function describeProgress(run: RestoreRun): string {
  if (run.stage === 'lists') return 'Opening the archive lists…';
  if (run.stage === 'items') return `Restoring: ${run.done} of ${run.total} archived items…`;
  if (run.stage === 'friends') return 'Restoring friends and introducing this device to them…';
  return '';
}

export function describeReport(report: RestoreReport): string {
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const codes = [...new Set(report.failed.map((f) => f.code))].join(', ');
  const friends = report.friends;
  return (
    `${plural(report.conversations, 'conversation')} restored ` +
    `(${plural(report.added, 'message')} new on this device) from ${plural(report.items, 'archived item')}` +
    (report.failed.length ? `; ${report.failed.length} could not be opened (${codes}).` : '.') +
    (friends
      ? `\n${plural(friends.friends, 'friend')} in your list (${friends.added.length} new here); ` +
        `${friends.introduced.filter((i) => i.outcome === 'merged').length} of ${friends.introduced.length} friend devices introduced to this device.`
      : '')
  );
}

/** Starts a run and follows it until it ends; throws the run's error as the agent gave it. */
export async function followRestore(
  agent: ApiClient,
  body: { phrase?: string; bip39Passphrase?: string },
  onProgress: (run: RestoreRun) => void,
): Promise<RestoreReport> {
  let run = await agent.restoreArchive({ body });
  while (run.running) {
    onProgress(run);
    await new Promise((r) => setTimeout(r, FOLLOW_MS));
    run = await agent.restoreArchiveState();
  }
  if (run.error) throw errorOf({ error: run.error });
  if (!run.report)
    throw errorOf({ error: { code: 'INTERNAL', message: 'The restore ended without a report.' } });
  return run.report;
}

export const archiveRestoreCommand: Command = {
  name: 'archive restore',
  usage: 'kith archive restore [--phrase-file F [--bip39-passphrase-file P]] [--json]',
  summary:
    'Keep every archived conversation this device can open among its messages (`kith messages`):\n' +
    'with --phrase-file after a recovery (the keys the phrase gives back), else with this device’s\n' +
    'shares and a holder’s. The agent seals them again to your devices of today. With the phrase it\n' +
    'also brings back the archived friend list and introduces this device to each friend.',
  flags: PHRASE_FLAGS,
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const agent = await connectAgent(dataDir);
    const body = await phraseFlags(args);
    const { progressLine } = await import('../progress.ts');
    const progress = progressLine(out);
    let report: RestoreReport;
    try {
      report = await followRestore(agent, body, (run) => progress.update(describeProgress(run)));
    } finally {
      progress.done();
    }
    out.result(report, describeReport(report));
  },
};
