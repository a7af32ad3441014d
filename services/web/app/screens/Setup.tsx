import { useEffect, useRef, useState } from 'preact/hooks';
import { type SetupEnrolled, type SetupRecovered, type SetupRestored, api } from '../api.ts';
import { ErrorNote } from '../components/Errors.tsx';
import { type KeptPhrase, RestoreAfterRecovery } from '../components/RestoreArchive.tsx';
import { RevokeLost } from '../components/RevokeLost.tsx';
import { Scanner } from '../components/Scanner.tsx';
import { SetupCreate } from '../components/SetupCreate.tsx';
import { useAgentEvents } from '../events.ts';
import { UnlockPassphraseField } from '../components/UnlockPassphraseField.tsx';
import { PhraseFields } from '../components/PhraseFields.tsx';

type Choice = 'create' | 'enrol' | 'recover' | 'restore';
type Done =
  | { kind: 'create' }
  | { kind: 'enrol'; r: SetupEnrolled }
  | { kind: 'recover'; r: SetupRecovered }
  | { kind: 'restore'; r: SetupRestored };

/**
 * Setup mode (docs/DESIGN.md "Setup mode"): this node has no identity yet and waits for its
 * owner. Four ways: create one (the phrase is then shown once on the Onboarding screen), enrol
 * this node as one of my devices with a device invite, or recover with the phrase and a friend's
 * invite, or restore a backup file (`kith backup`, or Devices → Back up). The phrase typed here goes
 * to the node for the recovery and, held in this component's memory only (never in the page), once
 * more for the archive restore that follows (`kith archive restore`); it is forgotten when that
 * restore found something or the person continues.
 * When the step is done the node restarts its API as the full node; the event stream's
 * reconnection tells this page when it is there (no polling).
 */
export function SetupScreen({ onReady }: { onReady: (created: boolean) => void }) {
  const [choice, setChoice] = useState<Choice>('create');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Done | null>(null);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [code, setCode] = useState('');
  const [phrase, setPhrase] = useState('');
  const [invite, setInvite] = useState('');
  const [bip39, setBip39] = useState('');
  const [deviceName, setDeviceName] = useState('');
  const [unlockPassphrase, setUnlockPassphrase] = useState('');
  /** The unlock passphrase for the step's body, once; the field is cleared as it is sent. */
  const takeUnlock = () => {
    const typed = unlockPassphrase;
    setUnlockPassphrase('');
    return typed ? { unlockPassphrase: typed } : {};
  };
  /** The recovery's phrase, in memory only, until the archive restore after it has used it. */
  const kept = useRef<KeptPhrase['current']>(null);
  const [backupFile, setBackupFile] = useState<File | null>(null);
  const [backupPassphrase, setBackupPassphrase] = useState('');

  const check = () => {
    if (!done || ready) return;
    api
      .setupState()
      .then((s) => {
        if (s.state === 'ready') setReady(true);
      })
      .catch(() => {});
  };
  // The stream reconnects to the full node once it is up; asked once too, in case it already is.
  useAgentEvents([], check);
  useEffect(check, [done]);

  const run = async (step: () => Promise<Done>) => {
    setBusy(true);
    setError(null);
    try {
      setDone(await step());
      setPhrase('');
      setBip39('');
      setBackupPassphrase('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <section aria-labelledby="setup-title" class="narrow">
        <h1 id="setup-title">Set up this node</h1>
        {done.kind === 'enrol' ? (
          <div class="panel" role="status">
            <p class="ok">
              This node is now device <code class="id">{done.r.deviceId}</code> of{' '}
              <code class="id">{done.r.userId}</code>.
            </p>
            <p>
              Compare these digits with the device that made the invite:{' '}
              <strong class="digits">{done.r.sas}</strong>
            </p>
          </div>
        ) : null}
        {done.kind === 'recover' ? (
          <div class="panel" role="status">
            <p class="ok">
              Recovered <code class="id">{done.r.userId}</code>; this node is device{' '}
              <code class="id">{done.r.deviceId}</code>
              {done.r.revoked.length ? `, ${done.r.revoked.length} device(s) revoked` : ''}.
            </p>
            <p>
              Compare these digits with your friend’s screen: <strong class="digits">{done.r.sas}</strong>
            </p>
          </div>
        ) : null}
        {done.kind === 'restore' ? (
          <div class="panel" role="status">
            <p class="ok">
              Restored <code class="id">{done.r.userId}</code>, device{' '}
              <code class="id">{done.r.deviceId}</code> from the backup of{' '}
              {new Date(done.r.createdAt).toLocaleString()} ({done.r.rows} rows).
            </p>
            <p>Run only this copy of that device from now on: stop the old one if it still runs.</p>
          </div>
        ) : null}
        {done.kind === 'create' ? (
          <p class="ok" role="status">
            Your identity is made. Next, your seed phrase is shown once: have paper ready.
          </p>
        ) : null}
        {ready && done.kind === 'recover' ? (
          <>
            <RevokeLost kept={kept} />
            <RestoreAfterRecovery kept={kept} />
          </>
        ) : null}
        {ready ? (
          <button
            type="button"
            onClick={() => {
              kept.current = null;
              onReady(done.kind === 'create');
            }}
          >
            Continue
          </button>
        ) : (
          <p role="status">Starting the node…</p>
        )}
      </section>
    );
  }

  return (
    <section aria-labelledby="setup-title" class="narrow">
      <h1 id="setup-title">Set up this node</h1>
      <p>This node has no identity yet. Choose one:</p>
      <fieldset class="choices">
        <legend class="sr">How to set up this node</legend>
        {(
          [
            ['create', 'Create a new identity'],
            ['enrol', 'Enrol as one of my devices'],
            ['recover', 'Recover with my phrase'],
            ['restore', 'Restore a backup'],
          ] as const
        ).map(([value, label]) => (
          <label key={value}>
            <input
              type="radio"
              name="setup-choice"
              value={value}
              checked={choice === value}
              onChange={() => setChoice(value)}
            />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      <ErrorNote error={error} />
      {choice === 'create' ? (
        <SetupCreate
          busy={busy}
          onCreate={(create) =>
            void run(async () => {
              await create();
              return { kind: 'create' };
            })
          }
        />
      ) : null}
      {choice === 'enrol' ? (
        <form
          class="panel stack"
          onSubmit={(e) => {
            e.preventDefault();
            const lock = takeUnlock();
            void run(async () => ({
              kind: 'enrol',
              r: await api.setupEnrol({ code: code.trim(), ...lock }),
            }));
          }}
        >
          <p>
            On one of your devices, open Devices and add a device (or run <code>kith device invite</code>);
            then scan or paste its invite here.
          </p>
          <Scanner label="Scan the device invite with the camera" onCode={setCode} />
          <label for="setup-device-invite">Device invite</label>
          <textarea
            id="setup-device-invite"
            rows={3}
            autocomplete="off"
            value={code}
            onInput={(e) => setCode(e.currentTarget.value)}
          />
          <UnlockPassphraseField id="setup-unlock" value={unlockPassphrase} onInput={setUnlockPassphrase} />
          <button type="submit" disabled={busy || !code.trim()}>
            Enrol this node
          </button>
        </form>
      ) : null}
      {choice === 'recover' ? (
        <form
          class="panel stack"
          onSubmit={(e) => {
            e.preventDefault();
            const secret = { phrase: phrase.trim(), ...(bip39 ? { bip39Passphrase: bip39 } : {}) };
            const lock = takeUnlock();
            void run(async () => {
              const r = await api.setupRecover({
                ...secret,
                invite: invite.trim(),
                ...(deviceName.trim() ? { deviceName: deviceName.trim() } : {}),
                ...lock,
              });
              kept.current = secret;
              return { kind: 'recover', r };
            });
          }}
        >
          <p>
            Every device lost? Type your 24-word seed phrase and paste an invite from a friend (they make one
            under Friends): the friend hands back your identity and knows this node at once.
          </p>
          <PhraseFields
            id="setup-phrase"
            bip39Id="setup-bip39"
            label={'Seed phrase'}
            phrase={phrase}
            onPhrase={setPhrase}
            bip39={bip39}
            onBip39={setBip39}
          />
          <label for="setup-device-name">This device’s name (optional)</label>
          <input
            id="setup-device-name"
            maxLength={64}
            value={deviceName}
            onInput={(e) => setDeviceName(e.currentTarget.value)}
          />
          <Scanner label="Scan the friend’s invite with the camera" onCode={setInvite} />
          <label for="setup-friend-invite">Friend’s invite</label>
          <textarea
            id="setup-friend-invite"
            rows={3}
            autocomplete="off"
            value={invite}
            onInput={(e) => setInvite(e.currentTarget.value)}
          />
          <UnlockPassphraseField id="setup-unlock" value={unlockPassphrase} onInput={setUnlockPassphrase} />
          <button type="submit" disabled={busy || !phrase.trim() || !invite.trim()}>
            Recover
          </button>
        </form>
      ) : null}
      {choice === 'restore' ? (
        <form
          class="panel stack"
          onSubmit={(e) => {
            e.preventDefault();
            const file = backupFile;
            if (!file) return;
            const typed = backupPassphrase;
            setBackupPassphrase('');
            void run(async () => ({ kind: 'restore', r: await api.setupRestore(file, typed) }));
          }}
        >
          <p>
            A backup file from Devices → “Download a backup” or <code>kith backup</code>: this node becomes
            that device again, with its friends and messages.
          </p>
          <label for="setup-backup-file">Backup file</label>
          <input
            id="setup-backup-file"
            type="file"
            onChange={(e) => setBackupFile(e.currentTarget.files?.[0] ?? null)}
          />
          <label for="setup-backup-passphrase">Backup passphrase</label>
          <input
            id="setup-backup-passphrase"
            type="password"
            autocomplete="off"
            value={backupPassphrase}
            onInput={(e) => setBackupPassphrase(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy || !backupFile || !backupPassphrase}>
            {busy ? 'Restoring…' : 'Restore this backup'}
          </button>
        </form>
      ) : null}
    </section>
  );
}
