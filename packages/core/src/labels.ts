/**
 * Every domain-separation label Kith uses, in one place (docs/DESIGN.md §4).
 * A label is bound into each signature and each KDF so that a signature or key made for one
 * purpose can never be replayed as another. Labels are versioned; never change one in place.
 */
export const SIG = {
  DEVICE_CERT: 'kith/v1/sig/device-certificate',
  IDENTITY_ENTRY: 'kith/v1/sig/identity-log-entry',
  ENVELOPE: 'kith/v1/sig/envelope',
  ADDRESS_RECORD: 'kith/v1/sig/address-record',
  RELAY_LIST: 'kith/v1/sig/relay-list',
  FRIEND_LIST: 'kith/v1/sig/friend-list',
  STORAGE_RECEIPT: 'kith/v1/sig/storage-receipt',
  CONVERSATION_GENESIS: 'kith/v1/sig/conversation-genesis',
  CONVERSATION_EVENT: 'kith/v1/sig/conversation-event',
  CONVERSATION_OUTCOME: 'kith/v1/sig/conversation-outcome',
  PAIRING: 'kith/v1/sig/pairing',
  CHAT_MESSAGE: 'kith/v1/sig/chat-message',
  DELIVERY_RECEIPT: 'kith/v1/sig/delivery-receipt',
  /** A device's medium-term X25519 prekey, signed by the device (wire/prekey.ts). */
  DEVICE_PREKEY: 'kith/v1/sig/device-prekey',
} as const;

export const KDF = {
  /** SLIP-0010 private key of the recovery branch -> X25519 recovery key. */
  RECOVERY_X25519: 'kith/v1/kdf/recovery-x25519',
  /** SLIP-0010 private key of a device's agreement branch -> X25519 device key. */
  DEVICE_X25519: 'kith/v1/kdf/device-x25519',
  /** scrypt output -> key-file encryption key. */
  KEYSTORE: 'kith/v1/kdf/keystore',
  /** scrypt output -> backup file encryption key (services/agent/src/backup). */
  BACKUP: 'kith/v1/kdf/backup',
  /** Epoch key -> per-message key. */
  EPOCH_MESSAGE: 'kith/v1/kdf/epoch-message',
  /** Handshake hash -> short authentication string. */
  SAS: 'kith/v1/kdf/sas',
  /** Invite secret -> Noise IKpsk2 pre-shared key. */
  INVITE_PSK: 'kith/v1/kdf/invite-psk',
  /** Short code's nameplate and time window -> LAN (DNS-SD) instance label. */
  LAN_NAMEPLATE: 'kith/v1/kdf/lan-nameplate',
  /** CPace channel identifier of a short-code run (bound, not sent). */
  SHORT_CODE_CI: 'kith/v1/kdf/short-code-ci',
  /** CPace ISK -> the acceptor's key-confirmation MAC key. */
  SHORT_CODE_CONFIRM_A: 'kith/v1/kdf/short-code-confirm-acceptor',
  /** CPace ISK -> the inviter's key-confirmation MAC key. */
  SHORT_CODE_CONFIRM_B: 'kith/v1/kdf/short-code-confirm-inviter',
  /** CPace ISK -> the key that seals the long invite to the acceptor. */
  SHORT_CODE_SEAL: 'kith/v1/kdf/short-code-seal',
  /** Responder static key -> mac1 key (WireGuard-style). */
  MAC1: 'kith/v1/kdf/mac1',
  /** A node's window key and a slot number -> the start of its port window (net/port-window.ts). */
  PORT_WINDOW: 'kith/v1/kdf/port-window',
  /** Clear fields of the link hello -> Noise prologue (binds version, mode, invite id). */
  LINK_PROLOGUE: 'kith/v1/kdf/link-prologue',
  /** Envelope HPKE info string. */
  ENVELOPE_WRAP: 'kith/v1/hpke/envelope-wrap',
  /** Envelope header v2 (share groups) HPKE info string. */
  ENVELOPE_WRAP_GROUP: 'kith/v1/hpke/envelope-wrap-group',
  /** Envelope header v3 (share groups, wraps bound to the whole header) HPKE info string. */
  ENVELOPE_WRAP_BOUND: 'kith/v1/hpke/envelope-wrap-bound',
  /** An archive share re-sealed by its holder to an owner device (archive/archive-seal.ts). */
  ARCHIVE_SHARE_REWRAP: 'kith/v1/hpke/archive-share-rewrap',
} as const;

export const HASH = {
  USER_ID: 'kith/v1/id/user',
  DEVICE_ID: 'kith/v1/id/device',
  ENVELOPE_ID: 'kith/v1/id/envelope',
  /** Envelope header v3: the header without its wraps, which every wrap's aad carries. */
  ENVELOPE_WRAP_CONTEXT: 'kith/v1/hash/envelope-wrap-context',
  LOG_ENTRY: 'kith/v1/id/identity-log-entry',
  CONTENT: 'kith/v1/id/content',
  DIRECT_CONVERSATION: 'kith/v1/id/direct-conversation',
  ITEM: 'kith/v1/id/item',
  /** Tie-break order of consensus options, seeded by the conversation (consensus/tie-order.ts). */
  CONSENSUS_TIE_BREAK: 'kith/v1/hash/consensus-tie-break',
  /** Conversation id = hash of the signed genesis body (conversation/ids.ts). */
  CONVERSATION_ID: 'kith/v1/id/conversation',
  CONVERSATION_EVENT_ID: 'kith/v1/id/conversation-event',
  CONVERSATION_OUTCOME_ID: 'kith/v1/id/conversation-outcome',
  /** Digest of the canonical tally an outcome names. */
  CONVERSATION_TALLY: 'kith/v1/hash/conversation-tally',
  /** Archive lists name a conversation by this hash of its id, never by the id (archive-seal.ts). */
  ARCHIVE_TOPIC: 'kith/v1/hash/archive-topic',
  /** The history-index topic under which the friend bundle is listed (never a conversation's). */
  ARCHIVE_FRIENDS_TOPIC: 'kith/v1/hash/archive-friends-topic',
} as const;

export type SignatureLabel = (typeof SIG)[keyof typeof SIG];
export type KdfLabel = (typeof KDF)[keyof typeof KDF];
export type HashLabel = (typeof HASH)[keyof typeof HASH];

const encoder = new TextEncoder();

/** Length-prefixed label || message, so no label is a prefix of another's framing. */
export function frameWithLabel(label: string, message: Uint8Array): Uint8Array {
  const l = encoder.encode(label);
  if (l.length > 255) throw new Error('label too long');
  const out = new Uint8Array(1 + l.length + message.length);
  out[0] = l.length;
  out.set(l, 1);
  out.set(message, 1 + l.length);
  return out;
}
