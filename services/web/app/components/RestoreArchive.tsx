import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, type RestoreRun } from '../api.ts';
import { useAgentEvents } from '../events.ts';
import { restoreProgressText, restoreReportText } from '../logic/restore-progress.ts';
import { ErrorNote } from './Errors.tsx';
import { PhraseFields } from './PhraseFields.tsx';

/** The phrase of a recovery, held in memory until the restore is started (never in the page). */
export interface KeptPhrase {
  current: { phrase: string; bip39Passphrase?: string } | null;
}

type RestoreBody = Parameters<typeof api.restoreArchive>[0];

/**
 * The agent's restore run (`kith archive restore`) as the page follows it: its state once, then
 * its events `archive.restore.*` (no polling); asked again when the event stream reconnects.
 */
function useRestoreRun() {
  const [run, setRun] = useState<RestoreRun | null>(null);
  const [error, setError] = useState<unknown>(null);
  const refresh = useCallback(() => {
    api
      .restoreArchiveState()
      .then(setRun)
      .catch(() => {});
  }, []);
  useEffect(refresh, [refresh]);
  useAgentEvents(['archive.restore.'], (e) => {
    const d = e.data as { stage?: unknown; done?: unknown; total?: unknown };
    if (e.type === 'archive.restore.progress' && typeof d.done === 'number' && typeof d.total === 'number') {
      const stage = d.stage as RestoreRun['stage'];
      setRun((r) =>
        r ? { ...r, running: true, stage, done: d.done as number, total: d.total as number } : r,
      );
      return;
    }
    refresh();
  });
  const start = async (body: RestoreBody) => {
    setError(null);
    try {
      setRun(await api.restoreArchive(body));
    } catch (e) {
      setError(e);
    }
  };
  return { run, error, start };
}

/** Progress while the run goes on; its report (or its error) when it ends. */
function RestoreStatus({ run, error }: { run: RestoreRun | null; error: unknown }) {
  return (
    <>
      <ErrorNote error={error ?? (run?.error ? new Error(run.error.message) : null)} />
      {run?.running ? (
        <div class="repair" role="status">
          <label for="restore-progress">{restoreProgressText(run)}</label>
          <progress id="restore-progress" max={Math.max(1, run.total)} value={run.done} />
        </div>
      ) : null}
      {!run?.running && run?.report ? (
        <p class="ok" role="status">
          {restoreReportText(run.report)}
        </p>
      ) : null}
    </>
  );
}

/**
 * Right after a recovery with the phrase (Setup): the conversations and friends the lost devices
 * archived come back. The phrase typed for the recovery is used once more, then forgotten.
 */
export function RestoreAfterRecovery({ kept }: { kept: KeptPhrase }) {
  const { run, error, start } = useRestoreRun();
  const started = run !== null && run.stage !== 'idle';
  // Kept for a retry (a friend's device was offline) until a run found something.
  const found = run?.report ? run.report.items > 0 || run.report.friends !== undefined : false;
  if (found) kept.current = null;
  return (
    <div class="panel stack">
      <h2>Your earlier conversations</h2>
      <p>
        Your friends’ devices hold your archive, sealed. Your phrase opens it: your earlier conversations and
        your friends come back to this device.
      </p>
      <RestoreStatus run={started ? run : null} error={error} />
      <button
        type="button"
        disabled={run?.running === true || kept.current === null}
        onClick={() => {
          if (kept.current) void start(kept.current);
        }}
      >
        {run?.running ? 'Restoring…' : 'Restore from the archive'}
      </button>
    </div>
  );
}

/**
 * The Archive page's restore: with the phrase (a recovered device: what the lost devices sealed)
 * or without (what this device opens with its own share and a holder's). Fields clear on send.
 */
export function RestoreFromArchive() {
  const { run, error, start } = useRestoreRun();
  const [phrase, setPhrase] = useState('');
  const [bip39, setBip39] = useState('');
  return (
    <form
      class="panel stack"
      onSubmit={(e) => {
        e.preventDefault();
        const body: RestoreBody = {};
        if (phrase.trim()) body.phrase = phrase.trim();
        if (phrase.trim() && bip39) body.bip39Passphrase = bip39;
        setPhrase('');
        setBip39('');
        void start(body);
      }}
    >
      <h2>Restore from the archive</h2>
      <p>
        Brings archived conversations back among your messages. After a recovery, type your seed phrase: it
        opens what your lost devices archived and brings your friends back too. It is sent once and kept
        nowhere.
      </p>
      <PhraseFields
        id="restore-phrase"
        bip39Id="restore-bip39"
        label={'Seed phrase (after a recovery; optional)'}
        phrase={phrase}
        onPhrase={setPhrase}
        bip39={bip39}
        onBip39={setBip39}
      />
      <RestoreStatus run={run && run.stage !== 'idle' ? run : null} error={error} />
      <button type="submit" disabled={run?.running === true}>
        {run?.running ? 'Restoring…' : 'Restore conversations'}
      </button>
    </form>
  );
}
