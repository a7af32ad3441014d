import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, type Status } from '../api.ts';
import { useAgentEvents } from '../events.ts';
import { portSummary } from '../logic/port-summary.ts';
import { ErrorNote } from './Errors.tsx';

type Relay = Awaited<ReturnType<typeof api.relayStatus>>;

/** `kith status` on the Network screen: the peer port, its windows, the router, relaying. */
export function NodeStatus() {
  const [status, setStatus] = useState<Status | null>(null);
  const [relay, setRelay] = useState<Relay | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    api.status().then(setStatus).catch(setError);
    api
      .relayStatus()
      .then(setRelay)
      .catch(() => {});
  }, []);
  useEffect(load, [load]);
  useAgentEvents(['peer.', 'addresses.', 'reach.', 'relay.', 'invite.'], load);
  // The window opens and closes on a schedule no event announces: read it again when it turns.
  useEffect(() => {
    const w = status?.portWindows;
    const next = w?.enabled ? (w.open ? w.openUntil : w.nextWindowAt) : null;
    if (!next) return;
    const wait = Math.max(1000, Math.min(Date.parse(next) - Date.now() + 200, 3600_000));
    const timer = setTimeout(load, wait);
    return () => clearTimeout(timer);
  }, [status, load]);

  return (
    <section class="panel" aria-labelledby="node-status-title">
      <h2 id="node-status-title">This node</h2>
      <ErrorNote error={error} />
      {status ? (
        <ul class="status-lines">
          <li>
            {status.online} of {status.peers} peer devices online, {status.friends} friend
            {status.friends === 1 ? '' : 's'}.
          </li>
          {portSummary(status).map((l) => (
            <li key={l.text} class={l.warning ? 'warning' : undefined}>
              {l.text}
            </li>
          ))}
          {relay ? (
            <li>
              {!relay.enabled
                ? 'Relay for friends: off (KITH_RELAY).'
                : relay.relayFor.length === 0
                  ? 'Relay for friends: on, no friend lists this device yet.'
                  : `Relay for ${relay.relayFor.map((r) => r.name ?? r.userId.slice(0, 12)).join(', ')}.`}
            </li>
          ) : null}
          {status.locked ? (
            <li class="warning">Locked: relaying only; unlock to read your messages.</li>
          ) : null}
        </ul>
      ) : null}
    </section>
  );
}
