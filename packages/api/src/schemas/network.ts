/** Identity, friends, peers, invites and pairing (docs/API.md). */
import Type from 'typebox';

const Phrase = Type.String({ maxLength: 1000 });

export const Device = Type.Object({
  deviceId: Type.String(),
  index: Type.Integer(),
  name: Type.String(),
  status: Type.String(),
  current: Type.Boolean(),
  online: Type.Boolean(),
});

export const Identity = Type.Object({
  userId: Type.String(),
  name: Type.String(),
  deviceId: Type.String(),
  logLength: Type.Integer(),
  devices: Type.Array(Device),
});

export const PortWindowStatus = Type.Object({
  enabled: Type.Boolean(),
  /** Whether the peer port takes connections now. */
  open: Type.Boolean(),
  periodMs: Type.Integer(),
  openMs: Type.Integer(),
  /** Clock error dialers allow for after applying the measured offset. */
  maxSkewMs: Type.Integer(),
  /** When the port closes again (null: closed now, or open all the time). */
  openUntil: Type.Union([Type.String(), Type.Null()]),
  /** When the next window of the schedule starts (null with windows off). */
  nextWindowAt: Type.Union([Type.String(), Type.Null()]),
  /** Open invites holding the port open. */
  invitesHolding: Type.Integer(),
  /** Own devices and friends whose window schedule this node holds. */
  peerKeys: Type.Integer(),
  /** The cluster's clock from the linked peers' offsets (their clock minus ours). */
  clock: Type.Object({
    peers: Type.Integer(),
    medianOffsetMs: Type.Number(),
    spreadMs: Type.Number(),
    /** Peers whose clock is at least half the allowed skew away: fix their clocks. */
    warnings: Type.Array(Type.Object({ deviceId: Type.String(), offsetMs: Type.Number() })),
    /** What the measured spread calls for: the shortest window and the skew to allow. */
    minOpenMs: Type.Number(),
    skewMs: Type.Number(),
  }),
});

/** Home-router port mapping (docs/PROTOCOL.md "Home routers"). */
export const PortMappingStatus = Type.Object({
  enabled: Type.Boolean(),
  state: Type.Union([
    Type.Literal('off'),
    Type.Literal('searching'),
    Type.Literal('mapped'),
    Type.Literal('unavailable'),
  ]),
  /** Where the router forwards the peer port from (host:port), advertised to friends. */
  external: Type.Union([Type.String(), Type.Null()]),
  via: Type.Union([Type.Literal('nat-pmp'), Type.Literal('upnp'), Type.Null()]),
  /** Why no mapping holds (no gateway, no answer, refused). */
  reason: Type.Union([Type.String(), Type.Null()]),
});

export const AgentStatus = Type.Object({
  userId: Type.String(),
  deviceId: Type.String(),
  peerPort: Type.Integer(),
  addresses: Type.Array(Type.String()),
  peers: Type.Integer(),
  online: Type.Integer(),
  friends: Type.Integer(),
  /** Locked relay mode: the device keys are closed and the node only relays (`kith unlock`). */
  locked: Type.Boolean(),
  /** Port windows (docs/PROTOCOL.md "Port windows"): whether the peer port listens now, and when next. */
  portWindows: Type.Union([PortWindowStatus, Type.Null()]),
  portMapping: Type.Union([PortMappingStatus, Type.Null()]),
});

export const Friend = Type.Object({
  userId: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  addedAt: Type.String(),
  relay: Type.Boolean(),
  online: Type.Boolean(),
  address: Type.Union([Type.String(), Type.Null()]),
  devices: Type.Array(
    Type.Object({ deviceId: Type.String(), online: Type.Boolean(), status: Type.String() }),
  ),
});

export const Peer = Type.Object({
  deviceId: Type.String(),
  userId: Type.String(),
  own: Type.Boolean(),
  online: Type.Boolean(),
  address: Type.Union([Type.String(), Type.Null()]),
  addresses: Type.Array(Type.String()),
  lastSeenAt: Type.Union([Type.String(), Type.Null()]),
  clockOffsetMs: Type.Union([Type.Number(), Type.Null()]),
  roundTripMs: Type.Union([Type.Number(), Type.Null()]),
  status: Type.String(),
  /** Which way the link runs: direct, mapped (our router's port mapping), punched, relayed (through a friend); null offline. */
  link: Type.Union([
    Type.Literal('direct'),
    Type.Literal('mapped'),
    Type.Literal('punched'),
    Type.Literal('relayed'),
    Type.Null(),
  ]),
});

export const InviteRole = Type.Enum(['friend', 'device']);

export const CreateInviteBody = Type.Object(
  {
    role: InviteRole,
    ttlMs: Type.Optional(Type.Integer({ minimum: 10_000, maximum: 86_400_000 })),
    phrase: Type.Optional(Phrase),
    bip39Passphrase: Type.Optional(Phrase),
    /** Also make a short code to say aloud on a LAN (docs/PROTOCOL.md §9a; friend invites). */
    short: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const CreatedInvite = Type.Object({
  id: Type.String(),
  role: InviteRole,
  code: Type.String(),
  shortCode: Type.Optional(Type.String()),
  expiresAt: Type.String(),
});

const InviteId = Type.String({ pattern: '^[0-9a-f]{32}$' });
export const InviteIdParams = Type.Object({ id: InviteId });

export const OpenInvite = Type.Object({
  id: Type.String(),
  role: InviteRole,
  createdAt: Type.String(),
  expiresAt: Type.String(),
  /** The number of its short code, if it has one; the words are never shown again. */
  nameplate: Type.Union([Type.Integer(), Type.Null()]),
});

export const CancelInvitesBody = Type.Object(
  { id: Type.Optional(InviteId) },
  { additionalProperties: false },
);

export const CancelledInvites = Type.Object({ cancelled: Type.Array(Type.String()) });

export const PairingResult = Type.Object({
  role: InviteRole,
  userId: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  deviceId: Type.String(),
  sas: Type.String(),
  /** A friend's device recovered from the phrase with this (friend) invite. */
  recovery: Type.Optional(Type.Literal(true)),
});

export const InviteStatus = Type.Object({
  id: Type.String(),
  role: Type.String(),
  expiresAt: Type.String(),
  used: Type.Boolean(),
  /** Ended before use: cancelled by its maker, or a wrong short code was tried. */
  ended: Type.Union([Type.Literal('cancelled'), Type.Literal('wrong-code'), Type.Null()]),
  result: Type.Union([PairingResult, Type.Null()]),
});

export const AcceptBody = Type.Object(
  { code: Type.String({ minLength: 5, maxLength: 2000 }) },
  { additionalProperties: false },
);

export const RevokeBody = Type.Object(
  {
    deviceId: Type.String({ maxLength: 40 }),
    phrase: Phrase,
    bip39Passphrase: Type.Optional(Phrase),
  },
  { additionalProperties: false },
);

export const Revoked = Type.Object({ deviceId: Type.String(), index: Type.Integer() });

export const IdentityLog = Type.Object({ userId: Type.String(), entries: Type.Array(Type.String()) });

export const FriendUserParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 128 }) });

/** A friend paired here whose six digits this side has not confirmed yet (docs/API.md "Friends"). */
export const PendingFriend = Type.Object({
  userId: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  deviceId: Type.String(),
  sas: Type.String(),
  side: Type.Union([Type.Literal('inviter'), Type.Literal('acceptor')]),
  since: Type.String(),
  /** Without a confirm here by then, the pairing ends as a reject would (one hour). */
  expiresAt: Type.String(),
});

/** A pairing that ended in the last hour without a friendship, and why (docs/API.md "Friends"). */
export const EndedPairing = Type.Object({
  userId: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  by: Type.Union([Type.Literal('me'), Type.Literal('them')]),
  reason: Type.Union([Type.Literal('rejected'), Type.Literal('expired')]),
  at: Type.String(),
});

/** What `POST /friends/:userId/confirm` or `/reject` made of a pending friend. */
export const FriendDecision = Type.Object({
  userId: Type.String(),
  state: Type.Union([Type.Literal('active'), Type.Literal('forgotten')]),
});

/** What `POST /friends/:userId/unfriend` removed (docs/API.md). */
export const Unfriended = Type.Object({
  userId: Type.String(),
  linksClosed: Type.Integer(),
  relayItemsDropped: Type.Integer(),
  archiveBlobsDropped: Type.Integer(),
});
