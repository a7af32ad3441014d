import { useState } from 'preact/hooks';
import type { VoteBody } from '../logic/ballot.ts';

const APACHE = { '+1': 1, '0': 0, '-1': -1 } as const;

/** `kith vote --apache +1|0|-1 [--binding]`: binding is a committer's vote (what the method counts). */
export function ApacheBallot({ onVote }: { onVote: (b: VoteBody) => void }) {
  const [binding, setBinding] = useState(true);
  return (
    <div>
      <label class="check">
        <input type="checkbox" checked={binding} onChange={(e) => setBinding(e.currentTarget.checked)} />
        My vote is binding (I am one of those who decide)
      </label>
      <div class="choices">
        {(['+1', '0', '-1'] as const).map((v) => (
          <button key={v} type="button" onClick={() => onVote({ apache: { vote: APACHE[v], binding } })}>
            {v}
          </button>
        ))}
      </div>
    </div>
  );
}

/**
 * A proposal's objection or block, with a reason (`kith vote --object REASON | --block REASON`),
 * recorded whatever the method counts. A consent ballot has its own Object button already.
 */
export function ObjectOrBlock({ canObject, onVote }: { canObject: boolean; onVote: (b: VoteBody) => void }) {
  const [reason, setReason] = useState('');
  const send = (body: VoteBody) => {
    onVote(body);
    setReason('');
  };
  return (
    <div class="stack">
      <label for="ballot-reason">{canObject ? 'Object or block (a reason)' : 'Block (a reason)'}</label>
      <input
        id="ballot-reason"
        maxLength={2000}
        value={reason}
        onInput={(e) => setReason(e.currentTarget.value)}
      />
      <div class="choices">
        {canObject ? (
          <button type="button" disabled={!reason.trim()} onClick={() => send({ object: reason.trim() })}>
            Object
          </button>
        ) : null}
        <button
          type="button"
          class="danger"
          disabled={!reason.trim()}
          onClick={() => send({ block: reason.trim() })}
        >
          Block
        </button>
      </div>
    </div>
  );
}

/** `kith vote --withdraw`: my ballot no longer counts (until I vote again). */
export function Withdraw({ onVote }: { onVote: (b: VoteBody) => void }) {
  return (
    <button type="button" class="secondary" onClick={() => onVote({ withdraw: true })}>
      Take back my vote
    </button>
  );
}
