/**
 * `kith conversation show` in words (docs/CONSENSUS.md): members and authors by name, each event
 * as a sentence (a ballot as "ranks a > b > c", not JSON), the result with its reason, and a tie
 * shown as a tie, with how the method broke it.
 */
import type { ResponseOf } from '@kith/api';

type View = ResponseOf<'conversation'>;
type Result = View['result'];
type Body = View['timeline'][number]['body'];

interface TallyLike {
  tieOrder?: string[];
  choices?: Record<string, number>;
  approvals?: Record<string, number>;
  scores?: Record<string, number>;
  dots?: Record<string, number>;
  schulze?: { winners?: string[] };
  borda?: { scores?: Record<string, number> };
}

/** What each method's totals are called, and where they are in the tally. */
const COUNTED: Record<string, [string, (t: TallyLike) => Record<string, number> | undefined]> = {
  plurality: ['votes', (t) => t.choices],
  approval: ['approvals', (t) => t.approvals],
  score: ['points', (t) => t.scores],
  'dot-vote': ['dots', (t) => t.dots],
  borda: ['Borda points', (t) => t.borda?.scores],
};

const TIE_ORDER =
  'the conversation’s tie order, fixed when it was created from a hash of its id and each option, so nobody can steer it (docs/CONSENSUS.md "Ties")';

/** The options tied for first place under the conversation's method, when more than one is. */
export function tiedForFirst(method: string, tally: TallyLike): { tied: string[]; why: string } | undefined {
  if (method === 'schulze') {
    const winners = tally.schulze?.winners ?? [];
    return winners.length > 1
      ? {
          tied: winners,
          why: 'no strongest path (Schulze, winning votes) beats any of them; the first in the tie order wins',
        }
      : undefined;
  }
  const counted = COUNTED[method];
  const totals = counted?.[1](tally);
  if (!counted || !totals) return undefined;
  const best = Math.max(...Object.values(totals));
  const tied = (tally.tieOrder ?? Object.keys(totals)).filter((o) => totals[o] === best);
  return tied.length > 1 && best > 0
    ? { tied, why: `each has ${best} ${counted[0]}; the first in the tie order wins` }
    : undefined;
}

export function resultText(r: Result): string {
  const winner = r.winner === undefined ? '' : r.winner === null ? ', no winner' : `, winner ${r.winner}`;
  return `${r.passed ? 'passed' : 'not passed'}${winner} (${r.reason})${r.error ? `: ${r.error}` : ''}`;
}

/** The line under a result whose winner came out of a tie: the tied options and how it was broken. */
export function tieNote(r: Result, method: string, tally: TallyLike): string {
  const tie = r.winner ? tiedForFirst(method, tally) : undefined;
  return tie?.tied.includes(r.winner!)
    ? `\n    a tie between ${tie.tied.join(', ')}: ${tie.why}. It was broken by ${TIE_ORDER}.`
    : '';
}

/** A ballot in words. */
export function ballotText(ballot: Record<string, unknown>): string {
  const pairs = (rec: unknown) =>
    Object.entries((rec ?? {}) as Record<string, unknown>)
      .map(([o, n]) => `${o} ${n}`)
      .join(', ');
  const list = (l: unknown) => ((l ?? []) as string[]).join(', ');
  switch (ballot.kind) {
    case 'yes-no':
      return ballot.vote === 'abstain' ? 'abstains' : `votes ${ballot.vote}`;
    case 'choice':
      return `chooses ${ballot.option}`;
    case 'approval':
      return `approves ${list(ballot.options)}`;
    case 'ranking':
      return `ranks ${((ballot.ranking ?? []) as string[]).join(' > ')}`;
    case 'score':
      return `scores ${pairs(ballot.scores)}`;
    case 'dots':
      return `gives dots: ${pairs(ballot.dots)}`;
    case 'rsvp':
      return `answers ${ballot.answer}`;
    case 'ack':
      return 'acknowledges';
    case 'objection':
      return `objects: ${ballot.reason}`;
    case 'block':
      return `blocks: ${ballot.reason}`;
    case 'apache':
      return `votes ${ballot.vote === 1 ? '+1' : String(ballot.vote)}${ballot.binding ? ' (binding)' : ''}`;
    case 'withdraw':
      return 'withdraws their ballot';
    default:
      return JSON.stringify(ballot);
  }
}

/** One timeline event in words. */
export function eventText(kind: string, body: Body): string {
  if (kind === 'vote' && body.ballot && typeof body.ballot === 'object')
    return ballotText(body.ballot as Record<string, unknown>);
  if (typeof body.text === 'string') return `${kind}: ${body.text}`;
  if ((kind === 'member-add' || kind === 'member-remove') && typeof body.member === 'string')
    return `${kind === 'member-add' ? 'adds' : 'removes'} ${body.member}`;
  const fields = Object.entries(body)
    .map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  return fields ? `${kind}: ${fields}` : kind;
}

export function showText(v: View, name: (userId: string) => string): string {
  const tally = v.tally as unknown as TallyLike;
  const lines = [
    `${v.topic}`,
    `  ${v.id}`,
    `  ${v.pattern}, ${v.method}${v.rule ? ` (${v.rule})` : ''}; ${v.status}${v.deadline ? `; deadline ${v.deadline}` : ''}`,
    `  members: ${v.members.map(name).join(', ')}`,
  ];
  if (v.options.length) lines.push(`  options: ${v.options.join(', ')}`);
  lines.push(`  ${v.events} events; ${v.tally.turnout} of ${v.tally.eligible} voted`);
  for (const e of v.timeline)
    lines.push(`    ${e.createdAt}  ${name(e.author)}  ${eventText(e.kind, e.body)}`);
  if (v.outcome)
    lines.push(
      `  outcome: ${resultText(v.outcome.result)}, recorded by ${name(v.outcome.by.userId)} at ${v.outcome.evaluatedAt}` +
        tieNote(v.outcome.result, v.method, tally),
    );
  else
    lines.push(
      `  now: ${resultText(v.result)}${v.done ? ' — done; the outcome is about to be recorded' : ''}` +
        tieNote(v.result, v.method, tally),
    );
  for (const c of v.conflicts)
    lines.push(`  conflicting outcome ${c.id}: ${resultText(c.result)} by ${name(c.by.userId)}`);
  for (const d of v.disagreements)
    lines.push(`  DISAGREEING outcome ${d.id} by ${name(d.by.userId)}: ${d.reason} — ${d.detail}`);
  return lines.join('\n');
}
