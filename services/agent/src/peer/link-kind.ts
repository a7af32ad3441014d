/**
 * Which way a link to a peer device runs (`kith peers`, docs/API.md): `direct` (one side dialed
 * the other's peer port), `mapped` (the peer came in through our home router's port mapping:
 * it says it sees us at the mapping's external address), `punched` (a hole punch made the TCP
 * connection, peer/hole-punch.ts), `relayed` (no link of our own, but a linked friend reaches
 * it, so messages go through that friend), or null (unreachable now).
 */
import type { PeerSession } from './peer-session.ts';

export type LinkKind = 'direct' | 'mapped' | 'punched' | 'relayed';

export function linkKind(
  session: PeerSession | undefined,
  relayedVia: number,
  mappedExternal: readonly string[],
): LinkKind | null {
  if (!session?.ready) return relayedVia > 0 ? 'relayed' : null;
  if (session.link.punched) return 'punched';
  // Only the mapped side can tell: to the dialer it is a peer port like any other.
  if (!session.link.initiator && session.seenAs !== undefined && mappedExternal.includes(session.seenAs))
    return 'mapped';
  return 'direct';
}
