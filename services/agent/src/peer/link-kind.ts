/**
 * Which way a link to a peer device runs (`kith peers`, docs/API.md): `direct` (one side dialed
 * the other's peer port), `mapped` (the link came in through a home router's port mapping: on
 * the accepting side, the peer says it sees us at the mapping's external address; on the
 * dialing side, the peer told us so in a `mapped-link` message), `punched` (a hole punch made
 * the TCP connection, peer/hole-punch.ts), `relayed` (no link of our own, but a linked friend
 * reaches it, so messages go through that friend), or null (unreachable now).
 */
import type { PeerSession } from './peer-session.ts';

export type LinkKind = 'direct' | 'mapped' | 'punched' | 'relayed';

type SessionView = Pick<PeerSession, 'ready' | 'seenAs' | 'dialedMapping'> & {
  link: Pick<PeerSession['link'], 'initiator' | 'punched'>;
};

/**
 * The accepting side: the peer dialed our router mapping's external address (its hello says
 * where it sees us). To the dialer that is a peer port like any other, so we tell it.
 */
export function cameThroughMapping(session: SessionView, mappedExternal: readonly string[]): boolean {
  return !session.link.initiator && session.seenAs !== undefined && mappedExternal.includes(session.seenAs);
}

export function linkKind(
  session: SessionView | undefined,
  relayedVia: number,
  mappedExternal: readonly string[],
): LinkKind | null {
  if (!session?.ready) return relayedVia > 0 ? 'relayed' : null;
  if (session.link.punched) return 'punched';
  const mapped = session.link.initiator ? session.dialedMapping : cameThroughMapping(session, mappedExternal);
  return mapped ? 'mapped' : 'direct';
}
