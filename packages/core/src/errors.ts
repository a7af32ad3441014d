/**
 * The one error catalogue of Kith. Every error that crosses a boundary (CLI, API, wire)
 * carries a stable `code` from this table and a sentence a person understands.
 * Add new codes in the section of their part; never rename or reuse a code.
 */
export const ERROR_CATALOGUE = {
  // --- input and usage ---
  USAGE: { status: 400, message: 'The command was not used correctly.' },
  INVALID_INPUT: { status: 400, message: 'The input is not valid.' },
  CONFIG_INVALID: { status: 400, message: 'A setting is not valid; check the environment and flags.' },

  // --- codec ---
  CODEC_OVERSIZE: { status: 413, message: 'The data is larger than allowed.' },
  CODEC_MALFORMED: { status: 400, message: 'The data is not well-formed canonical CBOR.' },
  CODEC_NON_CANONICAL: { status: 400, message: 'The data is not in canonical form.' },
  CODEC_UNKNOWN_VERSION: { status: 400, message: 'The data has a format version this node does not know.' },
  CODEC_SCHEMA: { status: 400, message: 'The data does not have the expected fields.' },

  // --- crypto ---
  CRYPTO_BAD_KEY: { status: 400, message: 'A key has the wrong length or is not a valid key.' },
  CRYPTO_BAD_SIGNATURE: { status: 400, message: 'A signature did not verify.' },
  CRYPTO_DECRYPT_FAILED: {
    status: 400,
    message: 'Decryption failed: the data was tampered with or the key is wrong.',
  },
  CRYPTO_WEAK_SHARED_SECRET: {
    status: 400,
    message: 'The key agreement produced an all-zero secret (low-order point).',
  },
  // crypto: Shamir secret sharing (crypto/shamir.ts)
  SHAMIR_BAD_PARAMETERS: {
    status: 400,
    message: 'The secret-sharing parameters are not valid: it needs 2 <= threshold <= shares <= 255.',
  },
  SHAMIR_BAD_SHARES: { status: 400, message: 'The key shares given cannot be combined.' },

  // --- identity ---
  PHRASE_INVALID: {
    status: 400,
    message:
      'The seed phrase is not valid: it must be 24 words from the BIP39 English list with a correct checksum.',
  },
  ID_INVALID: { status: 400, message: 'The id is not valid: check it for typing mistakes.' },
  CERT_INVALID: { status: 400, message: 'The device certificate is not valid.' },
  LOG_INVALID: { status: 400, message: 'The identity log does not verify.' },
  LOG_FORK: { status: 409, message: 'The identity log forks from the copy already known: refused.' },
  DEVICE_REVOKED: { status: 403, message: 'The device has been revoked.' },
  DEVICE_INDEX_USED: { status: 409, message: 'That device index was already used and is never reused.' },

  // --- envelope ---
  ENVELOPE_TAMPERED: { status: 400, message: 'The envelope was modified after it was sealed.' },
  ENVELOPE_WRONG_KEY: { status: 403, message: 'None of the keys given can open this envelope.' },
  ENVELOPE_TOO_FEW_SHARES: { status: 403, message: 'Not enough key shares to open this envelope.' },
  ENVELOPE_TOO_LARGE: { status: 413, message: 'The envelope is larger than allowed.' },
  ENVELOPE_BAD_THRESHOLD: {
    status: 400,
    message: 'The threshold must be between 1 and the number of recipients.',
  },

  // --- key storage and data dir ---
  KEYSTORE_EXISTS: {
    status: 409,
    message: 'This data directory already holds an identity; use another --data directory.',
  },
  KEYSTORE_MISSING: {
    status: 404,
    message: 'No identity in this data directory; run `kith init` or `kith recover` first.',
  },
  KEYSTORE_LOCKED: { status: 401, message: 'The keys are locked; give the unlock passphrase.' },
  KEYSTORE_BAD_PASSPHRASE: { status: 401, message: 'The unlock passphrase is wrong.' },
  NODE_LOCKED: {
    status: 423,
    message:
      'This node is locked (it only relays): run `kith unlock` or unlock it in the web UI, then try again.',
  },
  KEYSTORE_CORRUPT: { status: 500, message: 'A key file is damaged or has an unknown format.' },
  KEYSTORE_NOT_PROTECTED: {
    status: 400,
    message:
      'An unlock passphrase was given, but this key file is not protected by one: start without --passphrase-file (and KITH_PASSPHRASE_FILE).',
  },
  PHRASE_NOT_PENDING: {
    status: 404,
    message: 'No seed phrase is waiting to be shown: it was shown once already, or written where you chose.',
  },
  // setup mode (docs/DESIGN.md "Setup mode"): a node started without an identity, waiting for its owner
  SETUP_DONE: {
    status: 409,
    message: 'This node has an identity already: setup happens once, on a data directory without one.',
  },
  SETUP_BUSY: {
    status: 409,
    message: 'Another setup step is running on this node: wait for it to finish, then reload the page.',
  },
  SETUP_WAITING: {
    status: 409,
    message:
      'This node has no identity yet: set it up first in the web UI (create, enrol as your device, or recover).',
  },
  SETUP_STOPPED: {
    status: 503,
    message: 'The node stopped before its setup finished; nothing was written. Start it again to set it up.',
  },
  DATA_DIR_LOCKED: { status: 409, message: 'Another Kith process is using this data directory.' },
  FILE_UNREADABLE: { status: 400, message: 'A file could not be read.' },
  BACKUP_INVALID: {
    status: 400,
    message: 'The file is not a Kith backup, or it is damaged or cut short; use another copy.',
  },
  BACKUP_BAD_PASSPHRASE: {
    status: 401,
    message: 'The backup passphrase is wrong, or the backup was changed after it was written.',
  },
  RESTORE_REFUSED: {
    status: 409,
    message: 'Restoring here would overwrite data; restore into a fresh stack or data directory.',
  },

  // --- database and local API (services/agent) ---
  DB_UNAVAILABLE: {
    status: 503,
    message:
      'The database cannot be reached: with DATABASE_URL set, check that Postgres runs at that address; without it, that the data directory is readable and its disk not full.',
  },
  DB_MIGRATION_FAILED: { status: 500, message: 'The database schema could not be brought up to date.' },
  DISK_FULL: {
    status: 507,
    message:
      "The disk holding this node's data directory is full, so that was not saved: free some space there and try again.",
  },
  API_UNAUTHORIZED: {
    status: 401,
    message: 'The API token is missing or wrong; it is in the file api-token of the data directory.',
  },
  NOT_FOUND: { status: 404, message: 'Nothing was found there.' },
  // web UI sign-in (docs/SECURITY.md "Web UI")
  WEB_CODE_INVALID: {
    status: 401,
    message: 'The sign-in code is wrong, used or expired: run `kith web code` for a new one.',
  },
  WEB_RATE_LIMITED: {
    status: 429,
    message: 'Too many wrong sign-in codes: wait a minute, then try again.',
  },
  WEB_SESSION_INVALID: {
    status: 401,
    message: 'You are not signed in (or the session was revoked): sign in with a code from `kith web code`.',
  },
  WEB_ORIGIN_REFUSED: {
    status: 403,
    message: 'The request came from another site and was refused.',
  },
  WEB_ROUTE_REFUSED: {
    status: 403,
    message: 'The web UI may not call that route.',
  },
  ADDRESS_IN_USE: {
    status: 409,
    message: 'The address and port are already in use: stop the other program or choose another port.',
  },

  // --- noise and peer links ---
  NOISE_UNSUPPORTED_PROTOCOL: { status: 400, message: 'This Noise protocol name is not supported.' },
  NOISE_BAD_STATE: {
    status: 500,
    message: 'The Noise handshake was used out of order or without a needed key.',
  },
  NOISE_HANDSHAKE_FAILED: {
    status: 403,
    message: 'The Noise handshake failed: the message was malformed, forged, or made for other keys.',
  },
  NOISE_MESSAGE_TOO_LARGE: { status: 413, message: 'A Noise message may not exceed 65535 bytes.' },
  NOISE_NONCE_EXHAUSTED: {
    status: 500,
    message: 'The Noise cipher has used all its nonces; the link must be established again.',
  },
  LINK_CLOSED: { status: 503, message: 'The link to the peer is closed.' },
  LINK_QUEUE_FULL: {
    status: 503,
    message: 'The link send queue is full; wait for the link to drain (its "drain" event) and send again.',
  },
  LINK_MESSAGE_TOO_LARGE: { status: 413, message: 'The message is larger than a link carries.' },
  LINK_CONNECT_FAILED: {
    status: 502,
    message: 'Could not establish a link: the peer did not answer, refused, or is not who we expected.',
  },
  LINK_HANDSHAKE_TIMEOUT: { status: 504, message: 'The link handshake did not complete in time.' },
  PUNCH_FAILED: {
    status: 504,
    message:
      'No hole opened through the NATs in front of both devices; messages go through a friend that links to both until the next attempt.',
  },

  // --- consensus (docs/DESIGN.md §8; docs/CONSENSUS.md) ---
  CONSENSUS_UNKNOWN_METHOD: { status: 400, message: 'The consensus method is not one Kith knows.' },
  CONSENSUS_BAD_PARAMS: { status: 400, message: 'The parameters of the consensus method are not valid.' },
  CONSENSUS_BAD_INPUT: {
    status: 400,
    message: 'The options, members or times given to the tally are not valid.',
  },
  CONSENSUS_TOO_LARGE: {
    status: 413,
    message: 'The conversation has more members or options than a tally allows.',
  },
  CONSENSUS_BAD_BALLOT: { status: 400, message: 'The ballot is not valid for this conversation.' },
  CONSENSUS_CEL_TOO_LONG: { status: 413, message: 'The custom rule is longer than allowed.' },
  CONSENSUS_CEL_SYNTAX: { status: 400, message: 'The custom rule is not a well-formed CEL expression.' },
  CONSENSUS_CEL_TOO_DEEP: { status: 400, message: 'The custom rule is nested too deeply.' },
  CONSENSUS_CEL_FORBIDDEN: {
    status: 400,
    message: 'The custom rule uses a function or construct that is not allowed.',
  },
  CONSENSUS_CEL_TYPE: { status: 400, message: 'The custom rule does not type-check.' },
  CONSENSUS_CEL_NOT_BOOL: { status: 400, message: 'The custom rule must give true or false.' },
  CONSENSUS_CEL_TOO_COSTLY: {
    status: 400,
    message: 'The custom rule could take too long to evaluate; simplify it or nest fewer loops.',
  },
  CONSENSUS_CEL_RUNTIME: { status: 422, message: 'The custom rule failed while it was evaluated.' },

  // --- conversations and message patterns (docs/DESIGN.md §8; docs/CONSENSUS.md "Conversations and patterns") ---
  CONVERSATION_BAD_GENESIS: { status: 400, message: 'The conversation genesis is not valid.' },
  CONVERSATION_UNKNOWN_PATTERN: { status: 400, message: 'The message pattern is not one Kith knows.' },
  CONVERSATION_BAD_PATTERN_PARAMS: {
    status: 400,
    message: 'The parameters of the message pattern are not valid.',
  },
  CONVERSATION_METHOD_MISMATCH: {
    status: 400,
    message: 'The consensus method cannot count any vote this message pattern allows.',
  },
  CONVERSATION_WRONG_CONVERSATION: { status: 400, message: 'The event belongs to another conversation.' },
  CONVERSATION_UNKNOWN_DEVICE: {
    status: 403,
    message: "The event was signed by a device that is not one of its author's devices.",
  },
  CONVERSATION_MISSING_PARENTS: {
    status: 409,
    message: 'Earlier events this one builds on have not arrived yet; keep it and try again when they do.',
  },
  CONVERSATION_BAD_PARENTS: { status: 400, message: 'The event names the events it follows incorrectly.' },
  CONVERSATION_UNKNOWN_KIND: {
    status: 400,
    message: "This kind of event is not part of the conversation's message pattern.",
  },
  CONVERSATION_BAD_BODY: { status: 400, message: 'The content of the event is not valid for its kind.' },
  CONVERSATION_NOT_A_MEMBER: { status: 403, message: 'The author is not a member of the conversation.' },
  CONVERSATION_CREATOR_ONLY: { status: 403, message: 'Only the creator of the conversation may post this.' },
  CONVERSATION_BAD_TARGET: {
    status: 400,
    message: 'The event refers to an event that it does not follow, or that has the wrong kind.',
  },
  CONVERSATION_VOTE_NOT_ALLOWED: {
    status: 400,
    message: 'This kind of vote is not allowed in this conversation.',
  },
  CONVERSATION_OUT_OF_TURN: {
    status: 409,
    message: 'This event is not allowed at this point of the conversation.',
  },
  CONVERSATION_DEADLINE_PASSED: { status: 410, message: 'The deadline of the conversation has passed.' },
  CONVERSATION_DEADLINE_IN_PAST: {
    status: 400,
    message:
      'The deadline is not in the future: give a date and time after now, e.g. 2030-01-31T18:00:00Z (ISO 8601, Z for UTC).',
  },
  CONVERSATION_MEMBERSHIP_DENIED: {
    status: 403,
    message: "This membership change is not allowed by the conversation's membership rule.",
  },
  CONVERSATION_MEMBERSHIP_NO_CHANGE: {
    status: 409,
    message: 'The membership change changes nothing: the person is already a member, or is not one.',
  },
  CONVERSATION_TOO_LARGE: {
    status: 413,
    message: 'The conversation has more events or members than allowed.',
  },
  CONVERSATION_CLOSED: {
    status: 409,
    message: 'The conversation has ended with a recorded outcome; it accepts no more events.',
  },
  CONVERSATION_NOT_DONE: {
    status: 409,
    message: 'The consensus method is not satisfied yet, so there is no outcome to record.',
  },
  CONVERSATION_OUTCOME_INVALID: { status: 400, message: 'The outcome record is not valid.' },

  // --- pairing ---
  INVITE_INVALID: { status: 400, message: 'The invite code is not valid: check it for typing mistakes.' },
  INVITE_EXPIRED: { status: 410, message: 'The invite has expired; ask for a new one.' },
  INVITE_USED: { status: 410, message: 'The invite was already used; each invite works once.' },
  INVITE_ROLE: { status: 400, message: 'This invite is for another kind of pairing.' },
  INVITE_INCOMPLETE: {
    status: 400,
    message: 'The invite code is incomplete: part of it is missing. Copy or scan the whole code.',
  },
  INVITE_CANCELLED: {
    status: 410,
    message: 'The inviter cancelled this invite; ask for a new one.',
  },
  INVITE_ENDED: {
    status: 410,
    message: 'The invite has ended: someone tried its short code with wrong words. Ask for a new one.',
  },
  INVITE_NOT_FOUND: {
    status: 404,
    message:
      'No open invite with that number answered on this network: check the number, that both machines are on the same network, and that the invite is still open.',
  },
  SHORT_CODE_WRONG: {
    status: 403,
    message:
      'The words do not match the invite, so the invite has ended (one guess per invite): ask for a new one and type its words again.',
  },
  PAIRING_FAILED: { status: 502, message: 'Pairing did not complete.' },
  PAIRING_NOT_PENDING: {
    status: 404,
    message: 'No pairing with that user waits for the six digits: `kith friends` lists the ones that do.',
  },
  PAIRING_ENDED: {
    status: 409,
    message: 'The pairing ended before you answered about the six digits.',
  },
  FRIEND_PENDING: {
    status: 409,
    message:
      'That friend is not confirmed yet: compare the six digits with them, then run `kith confirm NAME` (nothing is shared until then).',
  },
  RECOVERY_UNKNOWN_USER: {
    status: 409,
    message:
      'This friend holds no copy of your identity log: recover with an invite from a friend you paired with before.',
  },
  RECOVERY_INVALID: {
    status: 400,
    message: 'The recovered identity log does not extend the friend’s copy with a new device: refused.',
  },

  // --- encrypted archive store (services/archive; docs/DESIGN.md §7, §9) ---
  ARCHIVE_QUOTA_EXCEEDED: {
    status: 507,
    message:
      'The archive quota for this owner is used up: delete items or ask the relay owner for more room.',
  },
  ARCHIVE_BLOB_ID_MISMATCH: { status: 400, message: 'The blob id is not the content hash of its bytes.' },
  ARCHIVE_BLOB_TOO_LARGE: { status: 413, message: 'The blob is larger than the archive accepts.' },
  ARCHIVE_BLOB_IN_USE: {
    status: 409,
    message: 'The blob is the current version of an encrypted index and cannot be deleted.',
  },
  ARCHIVE_VERSION_CONFLICT: {
    status: 409,
    message: 'The encrypted index was changed by another device since it was read; read it again and retry.',
  },
  ARCHIVE_WRITE_FAILED: { status: 503, message: 'The archive could not write to its database.' },
  ARCHIVE_WRITER_CLOSED: {
    status: 503,
    message: 'The archive writer is shut down and accepts no more items.',
  },

  // --- archive replication (services/agent/src/archive; docs/DESIGN.md §7) ---
  ARCHIVE_RECEIPT_INVALID: {
    status: 400,
    message: 'The storage receipt is not valid or does not match the blob.',
  },
  ARCHIVE_NOT_HOLDING: {
    status: 403,
    message:
      'This device does not hold archive copies for that user (it is not a relay for friends, or the owner is not a friend).',
  },
  ARCHIVE_NO_HOLDER: {
    status: 503,
    message: 'No other device is online to hold a copy; the archive will replicate when one comes online.',
  },

  // --- archive encryption and retrieval (core/archive/archive-seal.ts, agent archive-fetcher) ---
  ARCHIVE_SHARE_INVALID: {
    status: 403,
    message:
      'The handed-over key share does not open here: it was made for another archive item or another device.',
  },
  ARCHIVE_WRONG_KIND: {
    status: 400,
    message: 'The archive item is not of the kind expected (for example a list opened as a conversation).',
  },
  ARCHIVE_HISTORY_ONE_DEVICE: {
    status: 409,
    message:
      'Moving a conversation to history needs two different active devices of its owner; with one device it stays current.',
  },
  ARCHIVE_NOT_OWNER: {
    status: 403,
    message: "Only an active device of the archive's owner may fetch it or ask for its key share.",
  },
  ARCHIVE_SENDER_NOT_OWNER: {
    status: 403,
    message:
      'The archive item is not sealed by a device of the owner it is stored for, so it is not kept and no key share of it is handed over; store only items your own active devices sealed.',
  },
  ARCHIVE_NOT_FOUND: { status: 404, message: 'No device that answered holds this archive item.' },
  ARCHIVE_NO_SHARE: { status: 404, message: 'That device holds no key share of this archive item.' },
  ARCHIVE_LIST_UNREADABLE: {
    status: 409,
    message:
      'A sealed archive list was written before this device existed; open it once with `kith archive history --phrase-file F` so this device can keep it.',
  },
  ARCHIVE_RESTORE_RUNNING: {
    status: 409,
    message:
      'A restore of the archive is already running on this device; wait for it to end (`kith archive restore`, or the Archive page, shows its progress).',
  },
  ARCHIVE_FETCH_TIMEOUT: {
    status: 504,
    message: 'The device holding the archive item did not answer in time; try again when it is online.',
  },

  // --- messaging ---
  MESSAGE_TOO_LARGE: { status: 413, message: 'The message is larger than the 1 MiB a message may be.' },
  MESSAGE_INVALID: { status: 400, message: 'The message is not valid.' },
  PREKEY_INVALID: {
    status: 400,
    message:
      'A device prekey is not signed by the device it names, or its dates are wrong; it was ignored (the device sends a new one on its next link).',
  },
  NOT_A_FRIEND: {
    status: 403,
    message: 'That user is not one of your friends; pair in person first (`kith invite`).',
  },
  CONVERSATION_UNKNOWN: { status: 404, message: 'No conversation with that id on this device.' },
  RELAY_QUOTA: { status: 507, message: 'The relay holds as much as it may for that user; it refused more.' },
  MESSAGE_QUOTA: {
    status: 429,
    message:
      'The receiving device took as much from this friend today as it takes; the rest waits in the outbox and goes again later.',
  },

  // --- command line ---
  ID_AMBIGUOUS: {
    status: 400,
    message: 'That matches more than one: give more of the id, or the full name.',
  },
  NO_MATCH: {
    status: 404,
    message:
      'Nothing here has that name or id; the lists come from `kith friends`, `kith peers` and `kith conversation list`.',
  },
  DATA_DIR_MISSING: {
    status: 400,
    message:
      'There is no Kith data directory there: give the directory of your node with --data DIR (or KITH_DATA), or create one with `kith init` or `kith up`.',
  },
  AGENT_NOT_RUNNING: {
    status: 503,
    message: 'No agent is running for this data directory; start it with `kith up` (or pass --data DIR).',
  },

  // --- internal ---
  INTERNAL: { status: 500, message: 'Something went wrong inside Kith.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class KithError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra words for a person: what exactly, and what to do. Never key material or plaintext. */
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry = ERROR_CATALOGUE[code];
    super(detail ? `${entry.message} ${detail}` : entry.message, options);
    this.name = 'KithError';
    this.code = code;
    this.status = entry.status;
    this.detail = detail;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isKithError(e: unknown, code?: ErrorCode): e is KithError {
  return e instanceof KithError && (code === undefined || e.code === code);
}
