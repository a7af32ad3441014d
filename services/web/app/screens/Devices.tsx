import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, type Invite, type WebSession } from '../api.ts';
import { ArchiveRewrap } from '../components/ArchiveRewrap.tsx';
import { BackupForm } from '../components/BackupForm.tsx';
import { ErrorNote } from '../components/Errors.tsx';
import { IdentityLogExport } from '../components/IdentityLogExport.tsx';
import { Qr } from '../components/Qr.tsx';
import { useAgentEvents } from '../events.ts';
import { INVITE_TTLS } from '../logic/invite-ttl.ts';
import { usePeople } from '../names.ts';
import { PhraseFields } from '../components/PhraseFields.tsx';

export function DevicesScreen() {
  const people = usePeople();
  const me = people.me;
  const [sessions, setSessions] = useState<WebSession[]>([]);
  const [invite, setInvite] = useState<Invite | null>(null);
  const [phraseFor, setPhraseFor] = useState<'invite' | string | null>(null);
  const [phrase, setPhrase] = useState('');
  const [bip39, setBip39] = useState('');
  const [ttl, setTtl] = useState(INVITE_TTLS[0]![0]);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const [name, setName] = useState<string | null>(null);

  const load = useCallback(() => {
    api.sessions().then(setSessions).catch(setError);
  }, []);
  useEffect(load, [load]);
  useAgentEvents(['device.', 'identity.', 'peer.'], people.reload);

  // The phrase lives only in this form's state: sent once over the page's connection, then cleared.
  const withPhrase = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const typed = phrase.trim().replace(/\s+/g, ' ');
    const b39 = bip39;
    setPhrase('');
    setBip39('');
    try {
      if (phraseFor === 'invite') setInvite(await api.invite('device', typed, ttl, b39 || undefined));
      else if (phraseFor) {
        await api.revokeDevice(phraseFor, typed, b39 || undefined);
        setDone(`Device ${phraseFor} was revoked.`);
        people.reload();
      }
      setPhraseFor(null);
    } catch (err) {
      setError(err);
    }
  };

  // `kith name NAME`: signed into my identity log, so my friends see it.
  const saveName = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api.setName((name ?? '').trim());
      setDone(`Your name is now ${r.name}; your friends see it.`);
      setName(null);
      people.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title">Devices</h1>
      <ErrorNote error={error} />
      {done ? <p role="status">{done}</p> : null}
      {me ? (
        <p>
          My user id (<code>kith identity</code>): <code class="id">{me.userId}</code>
        </p>
      ) : null}
      <form class="panel" onSubmit={saveName}>
        <label for="my-name">My name (my friends see it)</label>
        <input
          id="my-name"
          maxLength={64}
          value={name ?? me?.name ?? ''}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit" disabled={name === null || !name.trim()}>
          Save my name
        </button>
      </form>
      <ul class="cards">
        {me?.devices.map((d) => (
          <li key={d.deviceId} class="card">
            <strong>
              <span class={`dot ${d.online ? 'up' : 'down'}`} aria-hidden="true" />
              {d.name || `Device ${d.index}`} {d.current ? '(this one)' : ''}
            </strong>
            <span class="preview">
              {d.status} · {d.online ? 'online' : 'offline'} · index {d.index}
            </span>
            <code class="id">{d.deviceId}</code>
            {!d.current && d.status === 'active' ? (
              <button type="button" class="danger" onClick={() => setPhraseFor(d.deviceId)}>
                Revoke {d.name || 'device'}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <h2>Add a device</h2>
      <p>A new device joins with a device invite. Making one needs your seed phrase.</p>
      {invite ? (
        <div class="panel">
          <Qr text={invite.code} label="Device invite QR code" />
          <label for="device-invite">Device invite code</label>
          <textarea id="device-invite" readOnly rows={3} value={invite.code} />
          <p>Open until {new Date(invite.expiresAt).toLocaleTimeString()}.</p>
          <p>
            On the new machine, open its web UI (it starts in setup mode: <code>kith up --setup web</code>, or
            an appliance) and choose “Enrol as one of my devices”; or run <code>kith accept CODE</code> on a
            fresh data directory.
          </p>
        </div>
      ) : (
        <button type="button" onClick={() => setPhraseFor('invite')}>
          Make a device invite
        </button>
      )}
      {phraseFor ? (
        <form class="panel stack" onSubmit={withPhrase}>
          <PhraseFields
            id="phrase"
            bip39Id="phrase-bip39"
            label={
              phraseFor === 'invite'
                ? 'Your seed phrase (to sign the new device in)'
                : `Your seed phrase (to revoke ${phraseFor})`
            }
            phrase={phrase}
            onPhrase={setPhrase}
            bip39={bip39}
            onBip39={setBip39}
          />
          {phraseFor === 'invite' ? (
            <>
              <label for="device-invite-ttl">Invite open for</label>
              <select
                id="device-invite-ttl"
                value={ttl}
                onChange={(e) => setTtl(Number(e.currentTarget.value))}
              >
                {INVITE_TTLS.map(([ms, words]) => (
                  <option key={ms} value={ms}>
                    {words}
                  </option>
                ))}
              </select>
            </>
          ) : null}
          <p class="hint">The phrase is used once and never stored by this page or the node.</p>
          <div class="choices">
            <button type="submit" class={phraseFor === 'invite' ? '' : 'danger'}>
              {phraseFor === 'invite' ? 'Make the invite' : 'Revoke'}
            </button>
            <button type="button" class="secondary" onClick={() => setPhraseFor(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
      <ArchiveRewrap />
      <IdentityLogExport />
      <BackupForm />
      <h2>Signed-in browsers</h2>
      <ul class="cards">
        {sessions.map((s) => (
          <li key={s.id} class="card">
            <strong>{s.current ? 'This browser' : s.agent.slice(0, 60) || 'A browser'}</strong>
            <span class="preview">
              since {new Date(s.createdAt).toLocaleString()} · last used{' '}
              {new Date(s.lastSeenAt).toLocaleString()}
            </span>
            <button
              type="button"
              class="danger"
              onClick={() =>
                (s.current
                  ? api.signOut().then(() => location.reload())
                  : api.revokeSession(s.id).then(load)
                ).catch(setError)
              }
            >
              {s.current ? 'Sign out' : 'Revoke'}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
