import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, type Message, type Peer } from '../api.ts';
import { ErrorNote } from '../components/Errors.tsx';
import { NodeStatus } from '../components/NodeStatus.tsx';
import { PeerList } from '../components/PeerList.tsx';
import { useAgentEvents } from '../events.ts';
import { layoutNetwork } from '../logic/network-layout.ts';
import { nameOf, shortId, usePeople } from '../names.ts';

/** A name as the drawing labels it: short enough for its arc (the peer list below has it whole). */
const label = (name: string) => (name.length > 20 ? `${name.slice(0, 19)}…` : name);

/** A drawn picture of my cluster, updated live from peer events. */
export function NetworkScreen() {
  const people = usePeople();
  const [peers, setPeers] = useState<Peer[]>([]);
  const [last, setLast] = useState<Message | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    api.peers().then(setPeers).catch(setError);
    api
      .messages()
      .then((m) => setLast(m.sort((a, b) => Date.parse(b.sentAt) - Date.parse(a.sentAt))[0] ?? null))
      .catch(() => {});
  }, []);
  useEffect(load, [load]);
  useAgentEvents(['peer.', 'friend.', 'addresses.', 'reach.', 'message.', 'receipt', 'relay.'], load);

  const layout = layoutNetwork(peers);
  const relays = new Set(people.friends.filter((f) => f.relay).map((f) => f.userId));
  const online = peers.filter((p) => p.online).length;
  const byDevice = new Map(layout.nodes.map((n) => [n.deviceId, n]));
  // A recent message's path: from its sending device to me, through the relay that held it.
  const from = last ? byDevice.get(last.fromDevice) : undefined;
  const via = last?.relayed[0] ? byDevice.get(last.relayed[0]) : undefined;
  return (
    <section aria-labelledby="net-title">
      <h1 id="net-title">Network</h1>
      <ErrorNote error={error} />
      <figure class="network">
        <svg viewBox={`0 0 ${layout.width} ${layout.height}`} role="img" aria-labelledby="net-desc">
          <title id="net-desc">
            {`My cluster: ${online} of ${peers.length} peer devices online. ` +
              peers
                .map(
                  (p) =>
                    `${p.own ? 'my device' : nameOf(people, p.userId)} ${shortId(p.deviceId)} ${p.online ? 'online' : 'offline'}`,
                )
                .join('; ')}
          </title>
          {layout.nodes.map((n) => (
            <line
              key={`l-${n.deviceId}`}
              x1={layout.me.x}
              y1={layout.me.y}
              x2={n.x}
              y2={n.y}
              class={`link ${n.online ? 'up' : 'down'}`}
            />
          ))}
          {from ? (
            <polyline
              class="path"
              points={[from, ...(via ? [via] : []), layout.me].map((p) => `${p.x},${p.y}`).join(' ')}
            />
          ) : null}
          <circle cx={layout.me.x} cy={layout.me.y} r={16} class="node me" />
          <text x={layout.me.x} y={layout.me.y + 30} class="label">
            This device
          </text>
          {layout.nodes.map((n) => {
            const p = peers.find((x) => x.deviceId === n.deviceId)!;
            return (
              <g
                key={n.deviceId}
                class={`node-g ${n.online ? 'up' : 'down'}`}
                data-device={n.deviceId}
                data-online={n.online}
              >
                <circle
                  cx={n.x}
                  cy={n.y}
                  r={11}
                  class={`node ${n.own ? 'own' : 'friend'} ${relays.has(n.userId) ? 'relay' : ''}`}
                />
                <text x={n.x} y={n.y + 22} class="label small">
                  {shortId(n.deviceId)}
                  {p.clockOffsetMs !== null
                    ? ` ${p.clockOffsetMs > 0 ? '+' : ''}${Math.round(p.clockOffsetMs)}ms`
                    : ''}
                </text>
              </g>
            );
          })}
          {layout.groups.map((g) => (
            <text key={g.userId} x={g.x} y={g.y} class="label group">
              {label(nameOf(people, g.userId))}
              {relays.has(g.userId) ? ' (relay)' : ''}
            </text>
          ))}
        </svg>
        <figcaption>
          <span class="key up">link up</span> <span class="key down">link down</span>{' '}
          <span class="key relay">relay</span> <span class="key path">last message’s path</span>
          <br />
          {online} of {peers.length} peer devices online.
          {peers
            .filter((p) => p.lastSeenAt)
            .slice(0, 4)
            .map(
              (p) => ` ${shortId(p.deviceId)} last heard ${new Date(p.lastSeenAt!).toLocaleTimeString()}.`,
            )}
        </figcaption>
      </figure>
      <PeerList peers={peers} />
      <NodeStatus />
    </section>
  );
}
