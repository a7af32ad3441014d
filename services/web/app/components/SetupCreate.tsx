import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { UnlockPassphraseField } from './UnlockPassphraseField.tsx';

/**
 * Setup → create (`kith init [--name N] [--device-name D] [--bip39-passphrase-file F]`): a new
 * identity with a fresh phrase, shown once on the next page. The optional BIP39 passphrase is
 * typed twice (a typo would make the phrase useless), sent once and cleared; so is the optional
 * unlock passphrase (locked relay mode).
 */
export function SetupCreate({
  busy,
  onCreate,
}: {
  busy: boolean;
  onCreate: (create: () => Promise<void>) => void;
}) {
  const [name, setName] = useState('');
  const [deviceName, setDeviceName] = useState('');
  const [bip39, setBip39] = useState('');
  const [again, setAgain] = useState('');
  const [unlock, setUnlock] = useState('');
  const differ = bip39 !== again;
  return (
    <form
      class="panel stack"
      onSubmit={(e) => {
        e.preventDefault();
        if (differ) return;
        const body = {
          ...(name.trim() ? { name: name.trim() } : {}),
          ...(deviceName.trim() ? { deviceName: deviceName.trim() } : {}),
          ...(bip39 ? { bip39Passphrase: bip39 } : {}),
          ...(unlock ? { unlockPassphrase: unlock } : {}),
        };
        setBip39('');
        setAgain('');
        setUnlock('');
        onCreate(async () => {
          await api.setupCreate(body);
        });
      }}
    >
      <p>A new identity with a fresh 24-word seed phrase, shown to you once on the next page.</p>
      <label for="setup-name">Your name, as friends will see it (optional)</label>
      <input id="setup-name" maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <label for="setup-create-device-name">This device’s name (optional)</label>
      <input
        id="setup-create-device-name"
        maxLength={64}
        value={deviceName}
        onInput={(e) => setDeviceName(e.currentTarget.value)}
      />
      <details class="settings">
        <summary>A BIP39 passphrase (optional)</summary>
        <div class="stack">
          <p class="hint">
            A “25th word”: without it the 24 words alone recover nothing. Forget it and the phrase is useless
            too.
          </p>
          <label for="setup-create-bip39">BIP39 passphrase</label>
          <input
            id="setup-create-bip39"
            type="password"
            autocomplete="new-password"
            value={bip39}
            onInput={(e) => setBip39(e.currentTarget.value)}
          />
          <label for="setup-create-bip39-again">The BIP39 passphrase again</label>
          <input
            id="setup-create-bip39-again"
            type="password"
            autocomplete="new-password"
            aria-invalid={differ ? true : undefined}
            value={again}
            onInput={(e) => setAgain(e.currentTarget.value)}
          />
          {differ && again ? <p class="error">The two passphrases differ.</p> : null}
        </div>
      </details>
      <UnlockPassphraseField id="setup-unlock" value={unlock} onInput={setUnlock} />
      <button type="submit" disabled={busy || differ}>
        Create identity
      </button>
    </form>
  );
}
