import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorNote } from '../components/Errors.tsx';
import { usePeople } from '../names.ts';

/** Opens the keys of a node that started locked (it relays meanwhile), or closes them again. */
export function UnlockScreen() {
  const people = usePeople();
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [state, setState] = useState('');
  return (
    <section aria-labelledby="unlock-title" class="narrow">
      <h1 id="unlock-title">Unlock</h1>
      <p>
        A node whose keys are under a passphrase starts locked: it relays and stores its friends’ ciphertext
        but opens nothing until it is unlocked.
      </p>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const typed = passphrase;
          setPassphrase('');
          setError(null);
          api
            .unlock(typed)
            .then((r) => {
              setState(r.locked ? 'Still locked.' : 'Unlocked.');
              people.reload();
            })
            .catch(setError);
        }}
      >
        <label for="passphrase">Unlock passphrase</label>
        <input
          id="passphrase"
          type="password"
          autocomplete="current-password"
          value={passphrase}
          onInput={(e) => setPassphrase(e.currentTarget.value)}
        />
        <div class="choices">
          <button type="submit">Unlock</button>
          <button
            type="button"
            class="secondary"
            onClick={() =>
              api
                .lock()
                .then((r) => setState(r.locked ? 'Locked.' : 'Not locked.'))
                .catch(setError)
            }
          >
            Lock now
          </button>
        </div>
      </form>
      {state ? <p role="status">{state}</p> : null}
      <ErrorNote error={error} />
    </section>
  );
}
