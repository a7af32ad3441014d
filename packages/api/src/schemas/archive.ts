/**
 * Archive replication and archived conversations (docs/API.md "Archive"). Opened transcripts
 * hold what the owner may read; they are served on the loopback API only.
 */
import Type from 'typebox';
import { Hex32 } from './common.ts';

const Phrase = Type.String({ maxLength: 1000 });

/** base64 of at most ARCHIVE_REPLICA_MAX_BYTES (4 MiB less 4 KiB). */
export const MAX_BLOB_BASE64 = Math.ceil((4 * 1024 * 1024) / 3) * 4;

export const Holder = Type.Object({
  deviceId: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  own: Type.Boolean(),
  self: Type.Boolean(),
  online: Type.Boolean(),
  held: Type.Integer(),
  failed: Type.Integer(),
  lost: Type.Integer(),
});

export const ArchiveStatus = Type.Object({
  replicas: Type.Integer(),
  items: Type.Integer(),
  bytes: Type.Integer(),
  copies: Type.Record(Type.String(), Type.Integer()),
  holders: Type.Array(Holder),
  underReplicated: Type.Integer(),
  repair: Type.Object({
    running: Type.Boolean(),
    total: Type.Integer(),
    done: Type.Integer(),
    pendingStores: Type.Integer(),
    pendingChallenges: Type.Integer(),
    lastPassAt: Type.Union([Type.String(), Type.Null()]),
  }),
  heldForOthers: Type.Object({ items: Type.Integer(), bytes: Type.Integer() }),
  /** This user's two lists: the version here and how many other devices hold it (of `wanted`). */
  lists: Type.Array(
    Type.Object({
      name: Type.Union([Type.Literal('conversations'), Type.Literal('active')]),
      version: Type.Integer(),
      holders: Type.Integer(),
      wanted: Type.Integer(),
      conflict: Type.Boolean(),
    }),
  ),
  /**
   * Listed items still sealed to a revoked device of this user (re-sealed to today's devices by
   * the archive passes; `history` of them need the phrase: `kith archive rewrap --phrase-file F`).
   */
  rewrap: Type.Object({
    waiting: Type.Integer(),
    history: Type.Integer(),
    lastPassAt: Type.Union([Type.String(), Type.Null()]),
  }),
});

export const RewrapBody = Type.Object(
  { phrase: Phrase, bip39Passphrase: Type.Optional(Phrase) },
  { additionalProperties: false },
);

export const RewrapResult = Type.Object({
  rewrapped: Type.Integer(),
  waiting: Type.Integer(),
  history: Type.Integer(),
  lastPassAt: Type.Union([Type.String(), Type.Null()]),
});

export const BlobKind = Type.Union([Type.Literal('current'), Type.Literal('history'), Type.Literal('index')]);

export const PutBlobBody = Type.Object(
  {
    kind: Type.Optional(BlobKind),
    ciphertext: Type.String({ maxLength: MAX_BLOB_BASE64 }),
  },
  { additionalProperties: false },
);

export const PutResult = Type.Object({
  /** Content id, hex. */
  id: Type.String(),
  size: Type.Integer(),
  /** `stored` now or already `present`. */
  status: Type.Union([Type.Literal('stored'), Type.Literal('present')]),
  /** Devices a copy was sent to now (their receipts arrive later). */
  sentTo: Type.Array(Type.String()),
});

export const Challenged = Type.Object({ challenged: Type.Integer() });

export const SyncReport = Type.Object({
  conversations: Type.Integer(),
  built: Type.Integer(),
  sealedCurrent: Type.Integer(),
  movedToHistory: Type.Integer(),
  unchanged: Type.Integer(),
  keptCurrent: Type.Integer(),
  /** Items sealed anew because they were sealed to a revoked device of this user. */
  rewrapped: Type.Integer(),
  failed: Type.Array(Type.Object({ topic: Type.String(), code: Type.String() })),
  activeList: Type.Union([Type.Object({ version: Type.Integer(), entries: Type.Integer() }), Type.Null()]),
  historyIndex: Type.Union([Type.Object({ version: Type.Integer(), entries: Type.Integer() }), Type.Null()]),
});

export const HistoryItem = Type.Object({
  id: Type.String(),
  topic: Type.String(),
  conversation: Type.Union([Type.String(), Type.Null()]),
  closedAt: Type.String(),
  messages: Type.Integer(),
});

export const CurrentItem = Type.Object({
  id: Type.String(),
  topic: Type.String(),
  conversation: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String(),
});

/** A blob id or topic hash (64 hex) or a conversation id. */
export const ArchiveItemParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }),
});

export const Transcript = Type.Object({
  id: Type.String(),
  topic: Type.String(),
  archive: Type.Union([Type.Literal('current'), Type.Literal('history')]),
  conversation: Type.String(),
  title: Type.String(),
  kind: Type.Union([Type.Literal('direct'), Type.Literal('group')]),
  members: Type.Array(Type.String()),
  closedAt: Type.Union([Type.String(), Type.Null()]),
  messages: Type.Array(
    Type.Object({
      id: Type.String(),
      from: Type.String(),
      device: Type.String(),
      sentAt: Type.String(),
      text: Type.String(),
    }),
  ),
  events: Type.Integer(),
});

export const SealedBlob = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  ciphertext: Type.String(),
  share: Type.Optional(Type.String()),
});

export const IndexNameParams = Type.Object({
  name: Type.Union([Type.Literal('conversations'), Type.Literal('active')]),
});

export const AdoptIndexBody = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    entries: Type.Array(
      Type.Object(
        {
          topic: Hex32,
          blob: Hex32,
          updatedAt: Type.Optional(Type.Integer({ minimum: 0 })),
          closedAt: Type.Optional(Type.Integer({ minimum: 0 })),
          /** History segment start (v2 index); absent or null: unknown (a v1 entry). */
          from: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
          messages: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 100_000 },
    ),
  },
  { additionalProperties: false },
);

export const Adopted = Type.Object({ entries: Type.Integer() });

export const SealedIndex = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  ciphertext: Type.String(),
  share: Type.Optional(Type.String()),
});

const HeldAmount = Type.Object({ items: Type.Integer(), bytes: Type.Integer() });

/** GET /relay/status: this node as its friends' relay; counts and bytes, never contents. */
export const RelayStatus = Type.Object({
  enabled: Type.Boolean(),
  quota: Type.Object({ bytes: Type.Integer(), userBytes: Type.Integer(), userItems: Type.Integer() }),
  relayFor: Type.Array(
    Type.Object({ userId: Type.String(), name: Type.Union([Type.String(), Type.Null()]) }),
  ),
  heldFor: Type.Array(
    Type.Object({
      userId: Type.String(),
      name: Type.Union([Type.String(), Type.Null()]),
      archive: HeldAmount,
      relayed: HeldAmount,
    }),
  ),
});
