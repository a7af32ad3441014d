import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorNote } from '../components/Errors.tsx';

/** Sign in with a one-time code from `kith web code` (typed, or carried by the URL's fragment). */
export function SignInScreen({ code, onSignedIn }: { code?: string; onSignedIn: () => void }) {
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (value: string) => {
    setBusy(true);
    setError(null);
    try {
      await api.signIn(value);
      history.replaceState(null, '', '/#/conversations');
      onSignedIn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (code) void submit(code);
  }, [code]);

  return (
    <main id="main" class="narrow">
      <h1>Sign in to Kith</h1>
      <p>
        On the machine that runs Kith, run <code>kith web code</code>. Open the link it prints, or type its
        code here.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit(typed);
        }}
      >
        <label for="signin-code">Sign-in code</label>
        <input
          id="signin-code"
          autocomplete="one-time-code"
          autocapitalize="characters"
          value={typed}
          onInput={(e) => setTyped(e.currentTarget.value)}
          required
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorNote error={error} />
    </main>
  );
}
