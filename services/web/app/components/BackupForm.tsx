import { useState } from 'preact/hooks';
import { agent } from '../api.ts';
import { saveFile, today } from '../download.ts';
import { ErrorNote } from './Errors.tsx';

/**
 * `kith backup` from the page: one file with this device's keys (as stored) and its database,
 * sealed under a passphrase typed here twice. The passphrase goes to the agent once and is
 * cleared from the form; the file is saved by the browser.
 */
export function BackupForm() {
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone('');
    if (passphrase !== again) {
      setError(new Error('The two passphrases differ: type the same one twice.'));
      return;
    }
    const typed = passphrase;
    setPassphrase('');
    setAgain('');
    setBusy(true);
    try {
      const response = await agent.stream('backup', { body: { passphrase: typed } });
      const name = `kith-backup-${today()}.kith`;
      saveFile(name, await response.blob());
      setDone(`Backup saved as ${name}. Keep the passphrase apart from it.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel stack" onSubmit={submit} aria-labelledby="backup-title">
      <h2 id="backup-title">Back up this device</h2>
      <p class="hint">
        One file with this device’s keys and messages, sealed under a passphrase. Bring it back on a new
        machine’s setup screen (“Restore a backup”) or with <code>kith restore</code>.
      </p>
      <label for="backup-passphrase">Backup passphrase</label>
      <input
        id="backup-passphrase"
        type="password"
        autocomplete="new-password"
        required
        value={passphrase}
        onInput={(e) => setPassphrase(e.currentTarget.value)}
      />
      <label for="backup-passphrase-again">The passphrase again</label>
      <input
        id="backup-passphrase-again"
        type="password"
        autocomplete="new-password"
        required
        value={again}
        onInput={(e) => setAgain(e.currentTarget.value)}
      />
      <button type="submit" disabled={busy}>
        {busy ? 'Writing the backup…' : 'Download a backup'}
      </button>
      {done ? <p role="status">{done}</p> : null}
      <ErrorNote error={error} />
    </form>
  );
}
