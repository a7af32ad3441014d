/**
 * Restoring the archive in words (the agent's run: `POST /api/archive/restore-run`): what the
 * page says while it runs and when it ends. The same counts `kith archive restore` prints.
 */
export interface RestoreRunView {
  running: boolean;
  stage: 'idle' | 'lists' | 'items' | 'friends' | 'done' | 'failed';
  done: number;
  total: number;
  report: {
    items: number;
    conversations: number;
    added: number;
    failed: { id: string; code: string }[];
    friends?: { friends: number; added: string[]; introduced: { outcome: string }[] };
  } | null;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function restoreProgressText(run: RestoreRunView): string {
  switch (run.stage) {
    case 'lists':
      return 'Opening the archive lists…';
    case 'items':
      return `Restoring ${run.done} of ${plural(run.total, 'archived item')}…`;
    case 'friends':
      return 'Bringing back your friends and introducing this device to them…';
    default:
      return '';
  }
}

export function restoreReportText(report: NonNullable<RestoreRunView['report']>): string {
  if (report.items === 0 && !report.friends)
    return 'Nothing archived was found. If your friends’ devices are offline, try again when they are online.';
  const parts = [
    `${plural(report.conversations, 'conversation')} restored, ${plural(report.added, 'message')} new on this device`,
  ];
  if (report.failed.length) parts.push(`${plural(report.failed.length, 'item')} could not be opened`);
  if (report.friends) {
    const merged = report.friends.introduced.filter((i) => i.outcome === 'merged').length;
    parts.push(
      `${plural(report.friends.friends, 'friend')} in your list (${report.friends.added.length} new here)`,
      `${merged} of ${plural(report.friends.introduced.length, 'friend device')} introduced to this one`,
    );
  }
  return `${parts.join('; ')}.`;
}
