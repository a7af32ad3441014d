import { useState } from 'preact/hooks';
import { api, type ConversationView } from '../api.ts';
import {
  type BallotForm,
  approvalVote,
  dotsVote,
  move,
  rankVote,
  scoreVote,
  type VoteBody,
} from '../logic/ballot.ts';
import { ApacheBallot, ObjectOrBlock, Withdraw } from './BallotExtras.tsx';
import { ErrorNote } from './Errors.tsx';

/** The ballot a conversation asks for: choice, approval, ranking, scores, dots, consent, … */
export function Ballot({
  view,
  form,
  onVoted,
}: {
  view: ConversationView;
  form: BallotForm;
  onVoted: () => void;
}) {
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState('');
  const vote = async (body: VoteBody | string) => {
    if (typeof body === 'string') return setError(new Error(body));
    setError(null);
    try {
      await api.vote(view.id, body);
      setSent(
        'withdraw' in body
          ? 'Vote taken back: it no longer counts.'
          : 'Vote sent. You can change it until the conversation closes.',
      );
      onVoted();
    } catch (e) {
      setError(e);
    }
  };
  const options = view.options;
  return (
    <section class="ballot" aria-labelledby="ballot-title">
      <h2 id="ballot-title">Your vote</h2>
      {form === 'yes-no' ? (
        <Buttons choices={['yes', 'no', 'abstain'] as const} onPick={(v) => vote({ vote: v })} />
      ) : null}
      {form === 'choice' ? <Buttons choices={options} onPick={(v) => vote({ choice: v })} /> : null}
      {form === 'rsvp' ? (
        <Buttons choices={['yes', 'maybe', 'no'] as const} onPick={(v) => vote({ rsvp: v })} />
      ) : null}
      {form === 'ack' ? (
        <Buttons
          choices={[view.pattern === 'discussion' ? 'Done for me' : 'Acknowledge']}
          onPick={() => vote({ ack: true })}
        />
      ) : null}
      {form === 'apache' ? <ApacheBallot onVote={vote} /> : null}
      {form === 'consent' ? <Consent onVote={vote} /> : null}
      {form === 'approval' ? <Approval options={options} onVote={vote} /> : null}
      {form === 'ranking' ? <Ranking options={options} onVote={vote} /> : null}
      {form === 'score' ? <Scores options={options} range={view.tally.rules.score} onVote={vote} /> : null}
      {form === 'dots' ? <Dots options={options} budget={view.tally.rules.dotBudget} onVote={vote} /> : null}
      {view.pattern === 'proposal' ? <ObjectOrBlock canObject={form !== 'consent'} onVote={vote} /> : null}
      <Withdraw onVote={vote} />
      {sent ? <p role="status">{sent}</p> : null}
      <ErrorNote error={error} />
    </section>
  );
}

function Buttons<T extends string>({ choices, onPick }: { choices: readonly T[]; onPick: (v: T) => void }) {
  return (
    <div class="choices">
      {choices.map((c) => (
        <button key={c} type="button" onClick={() => onPick(c)}>
          {c}
        </button>
      ))}
    </div>
  );
}

function Consent({ onVote }: { onVote: (b: VoteBody) => void }) {
  const [reason, setReason] = useState('');
  return (
    <div>
      <button type="button" onClick={() => onVote({ ack: true })}>
        I consent
      </button>
      <label for="objection">Objection (a reason)</label>
      <input id="objection" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      <button type="button" disabled={!reason.trim()} onClick={() => onVote({ object: reason.trim() })}>
        Object
      </button>
    </div>
  );
}

function Approval({ options, onVote }: { options: string[]; onVote: (b: VoteBody) => void }) {
  const [selected, setSelected] = useState(new Set<string>());
  return (
    <fieldset>
      <legend>Approve every option you can accept</legend>
      {options.map((o) => (
        <label key={o} class="check">
          <input
            type="checkbox"
            checked={selected.has(o)}
            onChange={(e) => {
              const next = new Set(selected);
              if (e.currentTarget.checked) next.add(o);
              else next.delete(o);
              setSelected(next);
            }}
          />
          {o}
        </label>
      ))}
      <button type="button" onClick={() => onVote(approvalVote(selected, options))}>
        Vote
      </button>
    </fieldset>
  );
}

/** Drag to rank, or the up/down buttons (keyboard and screen readers). */
function Ranking({ options, onVote }: { options: string[]; onVote: (b: VoteBody) => void }) {
  const [order, setOrder] = useState(options);
  const [dragging, setDragging] = useState<number | null>(null);
  return (
    <div>
      <p id="rank-help">Most preferred first. Drag an option, or use its buttons.</p>
      <ol class="ranking" aria-describedby="rank-help">
        {order.map((o, i) => (
          <li
            key={o}
            draggable
            onDragStart={() => setDragging(i)}
            onDragOver={(e) => e.preventDefault()}
            onDrop={() => {
              if (dragging !== null) setOrder(move(order, dragging, i - dragging));
              setDragging(null);
            }}
          >
            <span class="grip" aria-hidden="true">
              ⋮⋮
            </span>
            <span class="option">{o}</span>
            <button
              type="button"
              aria-label={`Move ${o} up`}
              disabled={i === 0}
              onClick={() => setOrder(move(order, i, -1))}
            >
              ↑
            </button>
            <button
              type="button"
              aria-label={`Move ${o} down`}
              disabled={i === order.length - 1}
              onClick={() => setOrder(move(order, i, 1))}
            >
              ↓
            </button>
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => onVote(rankVote(order))}>
        Vote this ranking
      </button>
    </div>
  );
}

function Scores({
  options,
  range,
  onVote,
}: {
  options: string[];
  range: { min: number; max: number };
  onVote: (b: VoteBody | string) => void;
}) {
  const [scores, setScores] = useState<Record<string, number>>(
    Object.fromEntries(options.map((o) => [o, range.min])),
  );
  return (
    <fieldset>
      <legend>
        Score each option from {range.min} to {range.max}
      </legend>
      {options.map((o) => (
        <label key={o} class="number">
          {o}
          <input
            type="number"
            min={range.min}
            max={range.max}
            value={scores[o]}
            onInput={(e) => setScores({ ...scores, [o]: Number(e.currentTarget.value) })}
          />
        </label>
      ))}
      <button type="button" onClick={() => onVote(scoreVote(scores, range))}>
        Vote
      </button>
    </fieldset>
  );
}

function Dots({
  options,
  budget,
  onVote,
}: {
  options: string[];
  budget: number;
  onVote: (b: VoteBody | string) => void;
}) {
  const [dots, setDots] = useState<Record<string, number>>(Object.fromEntries(options.map((o) => [o, 0])));
  const used = Object.values(dots).reduce((s, n) => s + (n || 0), 0);
  return (
    <fieldset>
      <legend>
        Spread up to {budget} dots ({budget - used} left)
      </legend>
      {options.map((o) => (
        <label key={o} class="number">
          {o}
          <input
            type="number"
            min={0}
            max={budget}
            value={dots[o]}
            onInput={(e) => setDots({ ...dots, [o]: Number(e.currentTarget.value) })}
          />
        </label>
      ))}
      <button type="button" onClick={() => onVote(dotsVote(dots, budget))}>
        Vote
      </button>
    </fieldset>
  );
}
