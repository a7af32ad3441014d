import { useState } from 'preact/hooks';
import { api, type ConversationView } from '../api.ts';
import { ErrorNote } from './Errors.tsx';

/** A claim in a debate: one of the options, or a position someone stated. */
function claims(view: ConversationView): { value: string; label: string }[] {
  const positions = view.timeline
    .filter((e) => e.kind === 'position' && typeof e.body.text === 'string')
    .map((e) => ({ value: `p:${e.id}`, label: `Position: ${String(e.body.text).slice(0, 60)}` }));
  return [...view.options.map((o) => ({ value: `o:${o}`, label: o })), ...positions];
}

/** "Argue": for or against a claim of the debate (POST /api/conversations/:id/arguments). */
export function ArgumentForm({ view, onSent }: { view: ConversationView; onSent: () => void }) {
  const options = claims(view);
  const [claim, setClaim] = useState('');
  const [side, setSide] = useState<'for' | 'against'>('for');
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  if (options.length === 0)
    return <p class="hint">Arguments need a claim: state a position first (the message box below).</p>;
  const chosen = claim || options[0]!.value;
  return (
    <form
      class="panel stack argue"
      aria-labelledby="argue-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        const ref = chosen.startsWith('o:') ? { option: chosen.slice(2) } : { target: chosen.slice(2) };
        try {
          await api.argue(view.id, { side, text: text.trim(), ...ref });
          setText('');
          onSent();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <h2 id="argue-title">Argue</h2>
      <label for="argue-claim">Claim</label>
      <select id="argue-claim" value={chosen} onChange={(e) => setClaim(e.currentTarget.value)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <fieldset class="choices">
        <legend>Side</legend>
        {(['for', 'against'] as const).map((s) => (
          <label key={s} class="check">
            <input type="radio" name="argue-side" checked={side === s} onChange={() => setSide(s)} />
            {s === 'for' ? 'For' : 'Against'}
          </label>
        ))}
      </fieldset>
      <label for="argue-text">Argument</label>
      <textarea id="argue-text" rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <button type="submit" disabled={!text.trim()}>
        Add the argument
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
