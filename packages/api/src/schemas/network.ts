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
});

export const InviteRole = Type.Enum(['friend', 'device']);

export const CreateInviteBody = Type.Object(
  {
    role: InviteRole,
    ttlMs: Type.Optional(Type.Integer({ minimum: 10_000, maximum: 86_400_000 })),
    phrase: Type.Optional(Phrase),
    bip39Passphrase: Type.Optional(Phrase),
  },
  { additionalProperties: false },
);

export const CreatedInvite = Type.Object({
  id: Type.String(),
  role: InviteRole,
  code: Type.String(),
  expiresAt: Type.String(),
});

export const InviteIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) });

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

/** What `POST /friends/:userId/unfriend` removed (docs/API.md). */
export const Unfriended = Type.Object({
  userId: Type.String(),
  linksClosed: Type.Integer(),
  relayItemsDropped: Type.Integer(),
  archiveBlobsDropped: Type.Integer(),
});
