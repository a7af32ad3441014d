/**
 * The node's own controls (docs/API.md): lock and unlock, the pending seed phrase, the display
 * name, web UI sign-in, backup and the custom-rule check.
 */
import Type from 'typebox';

export const LockState = Type.Object({
  locked: Type.Boolean({ description: 'Whether the device keys are closed (the node only relays).' }),
  kept: Type.Optional(Type.Integer({ description: 'Items kept while locked and read at this unlock.' })),
});

export const UnlockBody = Type.Object(
  { passphrase: Type.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: false },
);

export const PhraseStatus = Type.Object({ pending: Type.Boolean() });
export const RevealedPhrase = Type.Object({ phrase: Type.String() });

/** Setup mode (docs/DESIGN.md "Setup mode"): a node without an identity waits for its owner. */
export const SetupState = Type.Object({
  state: Type.Union([Type.Literal('waiting'), Type.Literal('ready')], {
    description: 'waiting: no identity yet, only the setup routes answer; ready: the full node runs.',
  }),
  userId: Type.Optional(Type.String()),
  deviceId: Type.Optional(Type.String()),
});
const DeviceName = Type.String({ minLength: 1, maxLength: 64 });
/**
 * Locked relay mode chosen at setup (docs/SECURITY.md "Locked relay mode"): the new key file is
 * sealed under it. The node runs unlocked now; after a restart it is locked until unlocked.
 */
const UnlockPassphrase = Type.String({
  minLength: 8,
  maxLength: 1024,
  description:
    'Optional: seal this device’s keys under an unlock passphrase (at least 8 characters). After a restart the node runs locked — it relays and stores for friends and opens nothing — until unlocked.',
});
export const SetupCreateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    deviceName: Type.Optional(DeviceName),
    /** The optional BIP39 passphrase ("25th word") of the fresh phrase (`kith init --bip39-passphrase-file`). */
    bip39Passphrase: Type.Optional(Type.String({ maxLength: 1024 })),
    unlockPassphrase: Type.Optional(UnlockPassphrase),
  },
  { additionalProperties: false },
);
export const SetupCreated = Type.Object({
  userId: Type.String(),
  deviceId: Type.String(),
  phrasePending: Type.Boolean({ description: 'The new phrase waits, sealed, to be shown once.' }),
});
export const SetupEnrolBody = Type.Object(
  {
    code: Type.String({ minLength: 8, maxLength: 4096, description: 'A device invite (KITH1-…).' }),
    unlockPassphrase: Type.Optional(UnlockPassphrase),
  },
  { additionalProperties: false },
);
export const SetupEnrolled = Type.Object({
  userId: Type.String(),
  deviceId: Type.String(),
  deviceIndex: Type.Integer(),
  sas: Type.String({ description: 'Compare with the inviting device’s screen.' }),
});
export const SetupRecoverBody = Type.Object(
  {
    phrase: Type.String({ minLength: 1, maxLength: 1024 }),
    invite: Type.String({ minLength: 8, maxLength: 4096, description: 'A friend invite (KITH1-…).' }),
    bip39Passphrase: Type.Optional(Type.String({ maxLength: 1024 })),
    deviceName: Type.Optional(DeviceName),
    revoke: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 64 })),
    unlockPassphrase: Type.Optional(UnlockPassphrase),
  },
  { additionalProperties: false },
);
export const SetupRecovered = Type.Object({
  userId: Type.String(),
  deviceId: Type.String(),
  deviceIndex: Type.Integer(),
  revoked: Type.Array(Type.String()),
  friend: Type.Object({
    userId: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    deviceId: Type.String(),
  }),
  sas: Type.String(),
});

export const SetNameBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export const NameSet = Type.Object({ userId: Type.String(), name: Type.String(), seq: Type.Integer() });

/** Sign-in codes live 10 minutes by default, at most an hour. */
export const WEB_CODE_TTL_MS = 10 * 60_000;

export const WebCodeBody = Type.Optional(
  Type.Object(
    { ttlMs: Type.Optional(Type.Integer({ minimum: 10_000, maximum: WEB_CODE_TTL_MS * 6 })) },
    { additionalProperties: false },
  ),
);
export const WebCode = Type.Object({ code: Type.String(), expiresAt: Type.String() });

export const WebSession = Type.Object({
  id: Type.String(),
  createdAt: Type.String(),
  lastSeenAt: Type.String(),
  agent: Type.String(),
});
export const RedeemBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 64 }),
    agent: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export const Redeemed = Type.Object({ session: WebSession, secret: Type.String() });
export const CheckSessionBody = Type.Object(
  { secret: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
export const WebSessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const SessionRevoked = Type.Object({ revoked: Type.Boolean() });

export const BackupBody = Type.Object(
  { passphrase: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
/** The backup is streamed as application/octet-stream: no JSON answer (`ApiClient.stream`). */
export const OctetStream = Type.Unsafe<never>({ type: 'string', format: 'binary' });

/** The header the passphrase of a backup restored in setup mode travels in (headers.ts). */
export { BACKUP_PASSPHRASE_HEADER } from '../headers.ts';
export const SetupRestored = Type.Object({
  userId: Type.String(),
  deviceId: Type.String(),
  /** When the backup was made. */
  createdAt: Type.String(),
  rows: Type.Integer(),
  tables: Type.Integer(),
  files: Type.Integer(),
});

export const RuleCheckBody = Type.Object(
  { rule: Type.String({ maxLength: 8192 }) },
  { additionalProperties: false },
);
export const RuleChecked = Type.Object({
  ok: Type.Boolean(),
  code: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
