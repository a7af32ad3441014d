import type { Peer } from '../api.ts';
import { nameOf, usePeople } from '../names.ts';

const LINKS: Record<string, string> = {
  direct: 'direct',
  mapped: 'through a router’s port mapping',
  punched: 'a hole through both routers',
  relayed: 'relayed through a friend',
};

/**
 * `kith peers` under the Network picture: each peer device with its state, whose it is, how the
 * link runs, its address, clock offset and when it was last heard.
 */
export function PeerList({ peers }: { peers: Peer[] }) {
  const people = usePeople();
  if (peers.length === 0) return <p class="quiet">No peer devices yet: pair with a friend.</p>;
  return (
    <section aria-labelledby="peer-list-title">
      <h2 id="peer-list-title">Peer devices</h2>
      <ul class="cards">
        {peers.map((p) => (
          <li key={p.deviceId} class="card peer">
            <strong>
              <span class={`dot ${p.online ? 'up' : 'down'}`} aria-hidden="true" />
              {p.own ? 'My device' : nameOf(people, p.userId)} ·{' '}
              {p.status === 'revoked' ? 'revoked' : p.online ? 'online' : 'offline'}
            </strong>
            <code class="id">{p.deviceId}</code>
            <span class="details">
              {p.link ? `Link ${LINKS[p.link] ?? p.link}` : 'No link'} · address {p.address ?? 'unknown'}
              {p.clockOffsetMs !== null ? ` · clock ${Math.round(p.clockOffsetMs)} ms off` : ''}
              {p.roundTripMs !== null ? ` · round trip ${Math.round(p.roundTripMs)} ms` : ''}
              {p.lastSeenAt ? ` · last heard ${new Date(p.lastSeenAt).toLocaleTimeString()}` : ''}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
