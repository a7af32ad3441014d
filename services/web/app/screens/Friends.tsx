import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, type Friend, type Invite, type PairingResult } from '../api.ts';
import { ErrorNote } from '../components/Errors.tsx';
import { Qr } from '../components/Qr.tsx';
import { SasCheck } from '../components/Sas.tsx';
import { useAgentEvents } from '../events.ts';
import { nameOf, usePeople } from '../names.ts';

export function FriendsScreen() {
  const people = usePeople();
  const [friends, setFriends] = useState<Friend[]>([]);
  const [invite, setInvite] = useState<Invite | null>(null);
  const [invited, setInvited] = useState<PairingResult | null>(null);
  const [accepted, setAccepted] = useState<PairingResult | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(() => {
    api.friends().then(setFriends).catch(setError);
  }, []);
  useEffect(load, [load]);
  useAgentEvents(['friend.', 'peer.'], load);
  // The invite is used: the agent says so on the event stream; its state has the digits.
  useAgentEvents(['pairing.completed'], (e) => {
    if (invite && e.data.inviteId === invite.id)
      api
        .inviteState(invite.id)
        .then((s) => setInvited(s.result))
        .catch(setError);
    people.reload();
  });

  const remove = async (userId: string) => {
    try {
      await api.removeFriend(userId);
      load();
      people.reload();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section aria-labelledby="friends-title">
      <h1 id="friends-title">Friends</h1>
      <ErrorNote error={error} />
      <div class="columns">
        <section aria-labelledby="invite-title" class="panel">
          <h2 id="invite-title">Invite a friend</h2>
          <p>Meet in person. Your friend scans the QR code or types the code into their Kith.</p>
          {!invite ? (
            <button
              type="button"
              onClick={() => {
                setInvited(null);
                api.invite('friend').then(setInvite).catch(setError);
              }}
            >
              Make an invite
            </button>
          ) : (
            <div>
              <Qr text={invite.code} label="Invite QR code" />
              <label for="invite-code">Invite code</label>
              <textarea id="invite-code" readOnly rows={3} value={invite.code} />
              {invited ? (
                <SasCheck
                  sas={invited.sas}
                  who={invited.name || nameOf(people, invited.userId)}
                  onMismatch={() => remove(invited.userId)}
                />
              ) : (
                <p role="status">
                  Waiting for your friend to accept… (until {new Date(invite.expiresAt).toLocaleTimeString()})
                </p>
              )}
              <button type="button" class="secondary" onClick={() => setInvite(null)}>
                Done
              </button>
            </div>
          )}
        </section>
        <section aria-labelledby="accept-title" class="panel">
          <h2 id="accept-title">Accept an invite</h2>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              setError(null);
              api
                .accept(code.trim())
                .then((r) => {
                  setAccepted(r);
                  setCode('');
                  load();
                  people.reload();
                })
                .catch(setError);
            }}
          >
            <label for="accept-code">Paste your friend’s invite code</label>
            <textarea
              id="accept-code"
              rows={3}
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
            <button type="submit" disabled={!code.trim()}>
              Accept
            </button>
          </form>
          {accepted ? (
            <SasCheck
              sas={accepted.sas}
              who={accepted.name || nameOf(people, accepted.userId)}
              onMismatch={() => remove(accepted.userId)}
            />
          ) : null}
        </section>
      </div>
      <h2>My friends</h2>
      {friends.length === 0 ? <p>No friends yet.</p> : null}
      <ul class="cards">
        {friends.map((f) => (
          <li key={f.userId} class="card">
            <strong>
              <span class={`dot ${f.online ? 'up' : 'down'}`} aria-hidden="true" />
              {f.name || nameOf(people, f.userId)}
            </strong>
            <span class="preview">
              {f.online ? 'online' : 'offline'} · {f.relay ? 'relay for me' : 'not a relay'} ·{' '}
              {f.devices?.length ?? 0} device(s)
            </span>
            <code class="id">{f.userId}</code>
            <div class="choices">
              <a class="button" href={`#/chat/with/${f.userId}`}>
                Write
              </a>
              <button type="button" class="danger" onClick={() => remove(f.userId)}>
                Remove {f.name || 'friend'}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
