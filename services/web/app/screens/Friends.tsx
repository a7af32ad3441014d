import { useCallback, useEffect, useState } from 'preact/hooks';
import { endedSentence } from '@kith/core/pairing/ended-pairing';
import {
  api,
  type EndedPairing,
  type Friend,
  type Invite,
  type OpenInvite,
  type PairingResult,
  type PendingFriend,
} from '../api.ts';
import { ErrorNote } from '../components/Errors.tsx';
import { Qr } from '../components/Qr.tsx';
import { Scanner } from '../components/Scanner.tsx';
import { SasCheck } from '../components/Sas.tsx';
import { useAgentEvents } from '../events.ts';
import { INVITE_TTLS } from '../logic/invite-ttl.ts';
import { nameOf, usePeople } from '../names.ts';

export function FriendsScreen() {
  const people = usePeople();
  const [friends, setFriends] = useState<Friend[]>([]);
  const [pending, setPending] = useState<PendingFriend[]>([]);
  const [ended, setEnded] = useState<EndedPairing[]>([]);
  const [open, setOpen] = useState<OpenInvite[]>([]);
  const [sayAloud, setSayAloud] = useState(true);
  const [ttl, setTtl] = useState(INVITE_TTLS[0]![0]);
  const [shortCode, setShortCode] = useState('');
  const [accepting, setAccepting] = useState(false);
  const [invite, setInvite] = useState<Invite | null>(null);
  const [invited, setInvited] = useState<PairingResult | null>(null);
  const [accepted, setAccepted] = useState<PairingResult | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(() => {
    api.friends().then(setFriends).catch(setError);
    api.pendingFriends().then(setPending).catch(setError);
    api.endedPairings().then(setEnded).catch(setError);
    api.openInvites().then(setOpen).catch(setError);
  }, []);
  useEffect(load, [load]);
  useAgentEvents(['friend.', 'peer.', 'invite.'], load);
  // The invite is used: the agent says so on the event stream; its state has the digits.
  useAgentEvents(['pairing.completed'], (e) => {
    if (invite && e.data.inviteId === invite.id)
      api
        .inviteState(invite.id)
        .then((s) => setInvited(s.result))
        .catch(setError);
    people.reload();
  });

  /** The person's answer to the six digits: confirm (active on this side) or reject (forgotten). */
  const decide = (userId: string, match: boolean) => async () => {
    try {
      await (match ? api.confirmFriend(userId) : api.rejectFriend(userId));
      load();
      people.reload();
    } catch (e) {
      setError(e);
      throw e;
    }
  };

  const accept = (typed: string, clear: () => void) => {
    setError(null);
    setAccepting(true);
    api
      .accept(typed.trim())
      .then((r) => {
        setAccepted(r);
        clear();
        load();
        people.reload();
      })
      .catch(setError)
      .finally(() => setAccepting(false));
  };

  /** Ends an open invite: its code (long and short) no longer works. */
  const cancel = async (inviteId: string) => {
    try {
      await api.cancelInvite(inviteId);
      if (invite?.id === inviteId) setInvite(null);
      load();
    } catch (e) {
      setError(e);
    }
  };

  const remove = async (userId: string) => {
    try {
      await api.removeFriend(userId);
      load();
      people.reload();
    } catch (e) {
      setError(e);
    }
  };

  // Pairings answered in the panels above are not asked twice (nor while one is on its way there).
  const inFlight = (invite !== null && invited === null) || accepting;
  const waiting = inFlight
    ? []
    : pending.filter((p) => p.userId !== invited?.userId && p.userId !== accepted?.userId);
  // Pairings ended by the other person (or run out) since this page was opened are said so.
  const endedByThem = ended.filter((e) => e.by === 'them');

  return (
    <section aria-labelledby="friends-title">
      <h1 id="friends-title">Friends</h1>
      <ErrorNote error={error} />
      <div class="columns">
        <section aria-labelledby="invite-title" class="panel">
          <h2 id="invite-title">Invite a friend</h2>
          <p>Meet in person. Your friend scans the QR code or types the code into their Kith.</p>
          {!invite ? (
            <div>
              <label class="check">
                <input
                  type="checkbox"
                  checked={sayAloud}
                  onChange={(e) => setSayAloud(e.currentTarget.checked)}
                />
                Also a short code to say aloud (your friend is on the same network)
              </label>
              <label for="invite-ttl">Open for</label>
              <select id="invite-ttl" value={ttl} onChange={(e) => setTtl(Number(e.currentTarget.value))}>
                {INVITE_TTLS.map(([ms, words]) => (
                  <option key={ms} value={ms}>
                    {words}
                  </option>
                ))}
              </select>
              <button
                type="button"
                onClick={() => {
                  setInvited(null);
                  (sayAloud ? api.inviteWithShortCode(ttl) : api.invite('friend', undefined, ttl))
                    .then(setInvite)
                    .catch(setError);
                }}
              >
                Make an invite
              </button>
            </div>
          ) : (
            <div>
              {invite.shortCode ? (
                <div class="short-code">
                  <p id="short-code-label">Say this code to your friend (same network, one try):</p>
                  <output aria-labelledby="short-code-label" class="spoken">
                    {invite.shortCode}
                  </output>
                  <p>Across the internet, use the QR code or the long code instead.</p>
                </div>
              ) : null}
              <Qr text={invite.code} label="Invite QR code" />
              <label for="invite-code">Invite code</label>
              <textarea id="invite-code" readOnly rows={3} value={invite.code} />
              {invited ? (
                <SasCheck
                  sas={invited.sas}
                  who={invited.name || nameOf(people, invited.userId)}
                  onMatch={decide(invited.userId, true)}
                  onMismatch={decide(invited.userId, false)}
                />
              ) : (
                <p role="status">
                  Waiting for your friend to accept… (until {new Date(invite.expiresAt).toLocaleTimeString()})
                </p>
              )}
              {invited ? (
                <button type="button" class="secondary" onClick={() => setInvite(null)}>
                  Done
                </button>
              ) : (
                <button type="button" class="secondary" onClick={() => void cancel(invite.id)}>
                  Cancel the invite
                </button>
              )}
            </div>
          )}
        </section>
        <section aria-labelledby="accept-title" class="panel">
          <h2 id="accept-title">Accept an invite</h2>
          <p>Type the code your friend says, scan their invite QR code, or paste the code they sent you.</p>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              accept(shortCode, () => setShortCode(''));
            }}
          >
            <label for="accept-short">The code your friend says (same network)</label>
            <input
              id="accept-short"
              autocomplete="off"
              autocapitalize="none"
              spellcheck={false}
              placeholder="7-guitar-ocean-velvet"
              value={shortCode}
              onInput={(e) => setShortCode(e.currentTarget.value)}
            />
            <button type="submit" disabled={!shortCode.trim() || accepting}>
              Accept the spoken code
            </button>
          </form>
          <Scanner label="Scan the invite with the camera" onCode={setCode} />
          <form
            onSubmit={(e) => {
              e.preventDefault();
              accept(code, () => setCode(''));
            }}
          >
            <label for="accept-code">Paste your friend’s invite code</label>
            <textarea
              id="accept-code"
              rows={3}
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
            <button type="submit" disabled={!code.trim() || accepting}>
              Accept
            </button>
          </form>
          {accepting ? <p role="status">Looking for your friend’s invite…</p> : null}
          {accepted ? (
            <SasCheck
              sas={accepted.sas}
              who={accepted.name || nameOf(people, accepted.userId)}
              onMatch={decide(accepted.userId, true)}
              onMismatch={decide(accepted.userId, false)}
            />
          ) : null}
        </section>
      </div>
      {waiting.length ? (
        <section aria-labelledby="pending-title">
          <h2 id="pending-title">Waiting for the six digits</h2>
          <p>
            Nothing is shared with them until you confirm that the digits match the other screen. A pairing
            not confirmed within an hour ends by itself.
          </p>
          <ul class="cards">
            {waiting.map((p) => (
              <li key={p.userId} class="card">
                <span class="preview">ends at {new Date(p.expiresAt).toLocaleTimeString()}</span>
                <SasCheck
                  sas={p.sas}
                  who={p.name || nameOf(people, p.userId)}
                  onMatch={decide(p.userId, true)}
                  onMismatch={decide(p.userId, false)}
                />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {open.filter((i) => i.id !== invite?.id).length ? (
        <section aria-labelledby="open-invites-title">
          <h2 id="open-invites-title">Open invites</h2>
          <p>Anyone who has one of these codes can still use it. Cancel the ones you no longer need.</p>
          <ul class="cards">
            {open
              .filter((i) => i.id !== invite?.id)
              .map((i) => (
                <li key={i.id} class="card">
                  <strong>
                    {i.role === 'device' ? 'Device invite' : 'Friend invite'}
                    {i.nameplate === null ? '' : ` (short code ${i.nameplate}-…)`}
                  </strong>
                  <span class="preview">open until {new Date(i.expiresAt).toLocaleTimeString()}</span>
                  <button type="button" class="danger" onClick={() => void cancel(i.id)}>
                    Cancel invite {i.id.slice(0, 6)}
                  </button>
                </li>
              ))}
          </ul>
        </section>
      ) : null}
      {endedByThem.length ? (
        <div role="alert" class="note">
          {endedByThem.map((e) => (
            <p key={e.userId + e.at}>{endedSentence(e)}</p>
          ))}
        </div>
      ) : null}
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
