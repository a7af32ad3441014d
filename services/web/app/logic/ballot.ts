/**
 * Which ballot a conversation asks for, and the vote body each ballot form sends
 * (POST /api/conversations/:id/votes, docs/API.md). Pure: unit-tested against core's methods.
 */
import type { VoteBody } from '../api.ts';

export type BallotForm =
  | 'yes-no'
  | 'choice'
  | 'approval'
  | 'ranking'
  | 'score'
  | 'dots'
  | 'rsvp'
  | 'ack'
  | 'consent'
  | 'apache';

/** The method's main ballot kind (core's METHODS[name].ballotKind; a test keeps them equal). */
export const METHOD_BALLOT: Record<string, string | null> = {
  unanimity: 'yes-no',
  majority: 'yes-no',
  'absolute-majority': 'yes-no',
  supermajority: 'yes-no',
  'quorum-majority': 'yes-no',
  consent: 'ack',
  'lazy-consensus': 'ack',
  plurality: 'choice',
  approval: 'approval',
  score: 'score',
  'dot-vote': 'dots',
  irv: 'ranking',
  schulze: 'ranking',
  borda: 'ranking',
  'rsvp-threshold': 'rsvp',
  'all-acknowledged': 'ack',
  'apache-release': 'apache',
  cel: null,
};

/** Methods a person picks from, with what they mean (the New conversation screen). */
export const METHOD_HELP: Record<string, string> = {
  majority: 'More yes than no among those who voted.',
  'absolute-majority': 'More than half of all members say yes.',
  supermajority: 'Two thirds of the votes say yes.',
  unanimity: 'Everyone says yes.',
  'quorum-majority': 'A majority, once enough members voted.',
  consent: 'Passes unless someone objects: consent or object with a reason.',
  'lazy-consensus': 'Passes at the deadline unless someone objects.',
  plurality: 'Each member picks one option; most picks wins.',
  approval: 'Approve any options; most approvals wins.',
  score: 'Score every option; highest total wins.',
  'dot-vote': 'Spread a budget of dots over the options.',
  irv: 'Rank the options; instant runoff eliminates the last, round by round.',
  schulze: 'Rank the options; the Condorcet (Schulze) winner beats every other.',
  borda: 'Rank the options; points by position.',
  'rsvp-threshold': 'Happens when enough people say yes.',
  'all-acknowledged': 'Done when every member acknowledged.',
  'apache-release': 'Three binding +1 and more + than −.',
};

export function ballotForm(method: string, params: unknown, pattern: string): BallotForm | null {
  if (pattern === 'invitation') return 'rsvp';
  if (pattern === 'announcement') return 'ack';
  // A discussion's one ballot is `ack`, "done for me" (`kith vote ID --ack`), whatever its method.
  if (pattern === 'discussion') return 'ack';
  let kind = METHOD_BALLOT[method] ?? null;
  if (method === 'cel' && params && typeof params === 'object') {
    const accepts = (params as { accepts?: unknown }).accepts;
    kind = Array.isArray(accepts) && typeof accepts[0] === 'string' ? accepts[0] : null;
  }
  if (kind === 'ack' && (method === 'consent' || method === 'lazy-consensus')) return 'consent';
  const forms: readonly string[] = [
    'yes-no',
    'choice',
    'approval',
    'ranking',
    'score',
    'dots',
    'rsvp',
    'ack',
    'apache',
  ];
  return kind !== null && forms.includes(kind) ? (kind as BallotForm) : null;
}

/** A ballot as POST /api/conversations/:id/votes takes it (@kith/api's schema). */
export type { VoteBody };

/** Moves item `index` by `delta` places (ranking by buttons or drag); out of range: unchanged. */
export function move<T>(list: readonly T[], index: number, delta: number): T[] {
  const to = index + delta;
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return [...list];
  const next = [...list];
  const [item] = next.splice(index, 1);
  next.splice(to, 0, item as T);
  return next;
}

export function rankVote(order: readonly string[]): VoteBody {
  return { rank: [...order] };
}

export function approvalVote(selected: ReadonlySet<string>, options: readonly string[]): VoteBody {
  return { approve: options.filter((o) => selected.has(o)) };
}

/** Dots: whole numbers from 0, their sum within the budget; an error sentence otherwise. */
export function dotsVote(dots: Record<string, number>, budget: number): VoteBody | string {
  const entries = Object.entries(dots).filter(([, n]) => n > 0);
  if (entries.some(([, n]) => !Number.isInteger(n))) return 'Dots are whole numbers.';
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total > budget) return `You placed ${total} dots; the budget is ${budget}.`;
  if (total === 0) return 'Place at least one dot.';
  return { dots: Object.fromEntries(entries) };
}

export function scoreVote(
  scores: Record<string, number>,
  range: { min: number; max: number },
): VoteBody | string {
  for (const [option, n] of Object.entries(scores))
    if (!Number.isInteger(n) || n < range.min || n > range.max)
      return `The score for ${option} must be a whole number from ${range.min} to ${range.max}.`;
  return { score: { ...scores } };
}
