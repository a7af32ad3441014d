import { useState } from 'preact/hooks';

/**
 * The six digits both people compare, and their answer: the friendship is active on this side only
 * after "match" (`onMatch` confirms it with the agent); "differ" ends the pairing (`onMismatch`).
 */
export function SasCheck({
  sas,
  who,
  onMatch,
  onMismatch,
}: {
  sas: string;
  who: string;
  onMatch: () => Promise<unknown>;
  onMismatch: () => Promise<unknown>;
}) {
  const [answer, setAnswer] = useState<'match' | 'differ' | null>(null);
  const [busy, setBusy] = useState(false);
  const digits = sas.replace(/\D/g, '');
  const decide = async (choice: 'match' | 'differ') => {
    setBusy(true);
    try {
      await (choice === 'match' ? onMatch() : onMismatch());
      setAnswer(choice);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="sas" aria-labelledby="sas-title">
      <h3 id="sas-title">Compare these digits with {who}</h3>
      <p class="digits">
        <span aria-hidden="true">
          {digits.slice(0, 3)} {digits.slice(3)}
        </span>
        <span class="sr">{digits.split('').join(' ')}</span>
      </p>
      {answer === null ? (
        <>
          <p>Nothing is shared with {who} until you confirm that the digits match.</p>
          <div class="choices">
            <button type="button" disabled={busy} onClick={() => void decide('match').catch(() => {})}>
              The digits match
            </button>
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={() => void decide('differ').catch(() => {})}
            >
              They differ
            </button>
          </div>
        </>
      ) : answer === 'match' ? (
        <p role="status" class="ok">
          Confirmed: you are now friends with {who}.
        </p>
      ) : (
        <p role="alert" class="error">
          The digits differ: someone may be in the middle. The pairing ended and nothing was shared; meet
          again and retry.
        </p>
      )}
    </section>
  );
}
