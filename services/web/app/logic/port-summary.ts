/**
 * What `kith status` says of the peer port, in a person's words: open now or when next (port
 * windows), the clocks those windows depend on, and the home router's forwarding. The same
 * sentences as the CLI (cli/src/commands/node-commands.ts), with local times.
 */
import type { Status } from '../api.ts';

export interface StatusLine {
  text: string;
  /** A problem a person should act on. */
  warning?: boolean;
}

const time = (iso: string, at: (d: Date) => string) => at(new Date(iso));

export function portSummary(
  s: Pick<Status, 'peerPort' | 'addresses' | 'portWindows' | 'portMapping'>,
  at: (d: Date) => string = (d) => d.toLocaleTimeString(),
): StatusLine[] {
  const lines: StatusLine[] = [
    { text: `Peer port ${s.peerPort} at ${s.addresses.join(', ') || 'no address yet'}.` },
  ];
  const w = s.portWindows;
  if (w && !w.enabled) lines.push({ text: 'Peer port open all the time (port windows off).' });
  else if (w) {
    const state = w.open ? `open now${w.openUntil ? ` until ${time(w.openUntil, at)}` : ''}` : 'closed now';
    lines.push({
      text:
        `Peer port ${state}; next window at ${w.nextWindowAt ? time(w.nextWindowAt, at) : 'unknown'} ` +
        `(${w.openMs} ms every ${w.periodMs} ms)` +
        (w.invitesHolding
          ? `, held open by ${w.invitesHolding} invite${w.invitesHolding === 1 ? '' : 's'}`
          : '') +
        '.',
    });
    if (w.clock.peers > 0)
      lines.push({
        text: `Clocks: cluster median ${Math.round(w.clock.medianOffsetMs)} ms from ours, spread ${Math.round(w.clock.spreadMs)} ms over ${w.clock.peers} peer${w.clock.peers === 1 ? '' : 's'}.`,
      });
    for (const p of w.clock.warnings)
      lines.push({
        warning: true,
        text: `Device ${p.deviceId}'s clock is ${Math.round(p.offsetMs)} ms off, near the ${w.maxSkewMs} ms allowed: set its time (NTP).`,
      });
    if (w.openMs < w.clock.minOpenMs)
      lines.push({
        warning: true,
        text: `Windows of ${w.openMs} ms are shorter than the ${w.clock.minOpenMs} ms the measured clocks call for (KITH_WINDOW_OPEN_MS).`,
      });
  }
  const m = s.portMapping;
  if (!m || m.state === 'off') lines.push({ text: 'Router mapping: off.' });
  else if (m.state === 'mapped')
    lines.push({
      text: `Router forwards ${m.external} to the peer port (${m.via === 'upnp' ? 'UPnP' : 'NAT-PMP'}).`,
    });
  else if (m.state === 'searching')
    lines.push({ text: 'Router mapping: asking the router (NAT-PMP, UPnP).' });
  else
    lines.push({
      warning: true,
      text: `Router mapping: none (${m.reason ?? 'no answer'}); friends reach this node only on a forwarded port or KITH_ANNOUNCE.`,
    });
  return lines;
}
