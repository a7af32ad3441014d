/** How long an invite stays open (the CLI's --ttl; the agent allows 10 s to a day). */
export const INVITE_TTLS: readonly [ms: number, words: string][] = [
  [10 * 60_000, '10 minutes'],
  [30 * 60_000, '30 minutes'],
  [3600_000, '1 hour'],
  [24 * 3600_000, '1 day'],
];
