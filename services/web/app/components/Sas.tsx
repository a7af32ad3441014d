import { useState } from 'preact/hooks';

/** The six digits both people compare, and their answer. */
export function SasCheck({ sas, who, onMismatch }: { sas: string; who: string; onMismatch: () => void }) {
  const [answer, setAnswer] = useState<'match' | 'differ' | null>(null);
  const digits = sas.replace(/\D/g, '');
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
        <div class="choices">
          <button type="button" onClick={() => setAnswer('match')}>
            The digits match
          </button>
          <button
            type="button"
            class="danger"
            onClick={() => {
              setAnswer('differ');
              onMismatch();
            }}
          >
            They differ
          </button>
        </div>
      ) : answer === 'match' ? (
        <p role="status" class="ok">
          Confirmed: you are now friends with {who}.
        </p>
      ) : (
        <p role="alert" class="error">
          The digits differ: someone may be in the middle. The friend was removed; meet again and retry.
        </p>
      )}
    </section>
  );
}
