/**
 * What the peer node does with each session message: the handler registry PeerSession
 * dispatches through (session-messages.ts). A new wire message adds its entry here.
 */
import type { PeerNode } from './peer-node.ts';
import type { PeerSession } from './peer-session.ts';
import type { SessionHandlers } from './session-messages.ts';

export function peerHandlers(node: PeerNode): SessionHandlers<PeerSession> {
  return {
    hello: (s, m) => node.onHello(s, m),
    heartbeat: (s, m) => node.onHeartbeat(s, m),
    'address-records': (s, m) => node.onAddressRecords(s, m.records),
    'relay-lists': (s, m) => node.onRelayLists(s, m.lists),
    reach: (s, m) => node.onReach(s, m),
    'log-request': (s, m) => node.onLogRequest(s, m),
    'log-entries': (s, m) => node.onLogEntries(s, m),
    deliver: (s, m) => node.onDeliver(s, m),
    'deliver-refused': (s, m) => node.onDeliverRefused(s, m),
    'archive-store': (s, m) => node.onArchive(s, m),
    'archive-receipt': (s, m) => node.onArchive(s, m),
    'archive-refused': (s, m) => node.onArchive(s, m),
    'archive-challenge': (s, m) => node.onArchive(s, m),
    'archive-proof': (s, m) => node.onArchive(s, m),
    'archive-fetch': (s, m) => node.onArchive(s, m),
    'archive-fetched': (s, m) => node.onArchive(s, m),
    'archive-fetch-refused': (s, m) => node.onArchive(s, m),
    'archive-index-put': (s, m) => node.onArchive(s, m),
    'archive-drop': (s, m) => node.onArchive(s, m),
    'archive-dropped': (s, m) => node.onArchive(s, m),
    'window-key': (s, m) => node.onWindowKey(s, m),
    // Prekeys go to the messenger (messaging/prekeys.ts), once it is set.
    prekey: async (s, m) => node.delivery?.onPrekey(s, m),
    'friend-list': (s, m) => node.friendList.onFriendList(s, m),
    'punch-request': (s, m) => node.holes.onPunchRequest(s, m),
    'punch-invite': (s, m) => node.holes.onPunchInvite(s, m),
    punch: (s, m) => node.holes.onPunch(s, m),
    'mapped-link': (s, m) => node.onMappedLink(s, m),
  };
}
