import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { useAgentEvents } from '../events.ts';
import { ErrorNote } from './Errors.tsx';
import { PhraseFields } from './PhraseFields.tsx';

/**
 * `kith archive rewrap --phrase-file F` from the page: archive items still sealed to a revoked
 * device (history ones need the recovery key) are sealed anew to my devices of today. The phrase
 * is typed here, sent once and cleared, as for a revocation.
 */
export function ArchiveRewrap() {
  const [waiting, setWaiting] = useState<number | null>(null);
  const [phrase, setPhrase] = useState('');
  const [bip39, setBip39] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    api
      .archiveStatus()
      .then((s) => setWaiting(s.rewrap.waiting))
      .catch(() => setWaiting(null));
  }, []);
  useEffect(load, [load]);
  useAgentEvents(['archive.', 'device.'], load);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone('');
    const typed = phrase.trim().replace(/\s+/g, ' ');
    const b39 = bip39;
    setPhrase('');
    setBip39('');
    setBusy(true);
    try {
      const r = await api.rewrapArchive(typed, b39 || undefined);
      setWaiting(r.waiting);
      setDone(`${r.rewrapped} archive item(s) sealed anew to my devices; ${r.waiting} still wait.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel stack" onSubmit={submit} aria-labelledby="rewrap-title">
      <h2 id="rewrap-title">Re-seal the archive after a revocation</h2>
      <p class="hint">
        {waiting === null
          ? 'Archive items a revoked device could open are sealed anew to my devices of today.'
          : `${waiting} archive item(s) still sealed to a revoked device.`}{' '}
        Most are re-sealed by themselves; the older ones (history) need your seed phrase.
      </p>
      <PhraseFields
        id="rewrap-phrase"
        bip39Id="rewrap-bip39"
        label="Your seed phrase (to re-seal the archive)"
        phrase={phrase}
        onPhrase={setPhrase}
        bip39={bip39}
        onBip39={setBip39}
      />
      <button type="submit" disabled={busy || !phrase.trim()}>
        {busy ? 'Re-sealing…' : 'Re-seal the archive'}
      </button>
      {done ? <p role="status">{done}</p> : null}
      <ErrorNote error={error} />
    </form>
  );
}
