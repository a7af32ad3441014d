/**
 * Archive encryption (docs/DESIGN.md §5; docs/ARCHITECTURE.md "Archive encryption and retrieval").
 * Every archived item is an envelope with share groups (header v3, every wrap bound to the
 * whole header, so a reader cannot reuse the wraps in an envelope of its own):
 *
 *   current transcript, active list   2-of-2: [owner's active devices] [holder group]
 *   history transcript                2-of-3: [device X] [device Y] [recovery key]
 *   history index                     t = 1:  [owner's active devices + recovery key]
 *
 * so a holder alone, or one stolen owner device alone, reads nothing at rest. A share is handed
 * to another device only re-sealed to that device's key and bound to the envelope id
 * (`rewrapShare`), never in the clear, so it cannot be replayed for another item or reader.
 */
import type { CryptoBackend, RandomSource } from '../crypto/backend.ts';
import { hpkeOpen, hpkeSeal } from '../crypto/hpke.ts';
import { concatBytes, constantTimeEqual, defaultBackend, utf8 } from '../crypto/index.ts';
import {
  type OpenedEnvelope,
  type OpenOptions,
  type VerifiedEnvelope,
  openEnvelope,
  sealEnvelope,
} from '../envelope.ts';
import { KithError } from '../errors.ts';
import type { AgreementKeyPair, SigningKeyPair } from '../identity/derive.ts';
import { HASH, KDF, frameWithLabel } from '../labels.ts';
import { type ActiveList, ActiveListFormat } from './active-list.ts';
import { type FriendBundle, FriendBundleFormat } from './friend-bundle.ts';
import { decodeHistoryIndex, encodeHistoryIndex, type HistoryIndex } from './history-index.ts';
import { type Transcript, TranscriptFormat } from './transcript.ts';

/** Envelope `kind` of each archived item (visible to holders; authenticated). */
export const ARCHIVE_ENVELOPE_KIND = {
  current: 'archive-current',
  history: 'archive-history',
  active: 'archive-active',
  conversations: 'archive-conversations',
  friends: 'archive-friends',
} as const;

/** Length of a re-wrapped share's encapsulated key; the HPKE ciphertext follows it. */
const ENC_BYTES = 32;
/** Shamir shares of a 32-byte key are 33 bytes; the bound only keeps junk out. */
const MAX_SHARE_BYTES = 64;

/** How archive lists name a conversation: never by its id (a holder sees the lists' sizes only). */
export function topicHash(conversationId: string, backend: CryptoBackend = defaultBackend()): Uint8Array {
  return backend.sha256(frameWithLabel(HASH.ARCHIVE_TOPIC, utf8.encode(conversationId)));
}

/**
 * The history-index topic that lists the friend bundle: a hash under its own label, so no
 * conversation id can name it.
 */
export function friendBundleTopic(backend: CryptoBackend = defaultBackend()): Uint8Array {
  return backend.sha256(frameWithLabel(HASH.ARCHIVE_FRIENDS_TOPIC, new Uint8Array(0)));
}

interface SealBase {
  /** The archiving device's signing key (every envelope is signed by its sender). */
  sender: SigningKeyPair;
  createdAt: number;
  random: RandomSource;
  backend?: CryptoBackend;
}

/**
 * A current (open, recent) transcript, 2-of-2: any active owner device's share plus the share
 * of a device in the holder group (friends' devices that hold it; see the docs for the weaker
 * own-devices-only case).
 */
export async function sealCurrent(
  options: SealBase & { transcript: Transcript; owners: Uint8Array[]; holders: Uint8Array[] },
): Promise<Uint8Array> {
  return seal(
    options,
    ARCHIVE_ENVELOPE_KIND.current,
    TranscriptFormat.encode(options.transcript),
    [options.owners, options.holders],
    2,
  );
}

/**
 * A history transcript, 2-of-3 over the archiving device X, a second own device Y and the
 * user's offline recovery key: one compromised or lost node reveals and loses nothing.
 */
export async function sealHistory(
  options: SealBase & {
    transcript: Transcript;
    archivist: Uint8Array;
    second: Uint8Array;
    recovery: Uint8Array;
  },
): Promise<Uint8Array> {
  const { archivist, second, recovery } = options;
  if (constantTimeEqual(archivist, second)) throw new KithError('ARCHIVE_HISTORY_ONE_DEVICE');
  if (constantTimeEqual(recovery, archivist) || constantTimeEqual(recovery, second)) {
    throw new KithError('INVALID_INPUT', 'The recovery key is not a device key.');
  }
  return seal(
    options,
    ARCHIVE_ENVELOPE_KIND.history,
    TranscriptFormat.encode(options.transcript),
    [[archivist], [second], [recovery]],
    2,
  );
}

export type SealIndexOptions = SealBase &
  (
    | { name: 'active'; list: ActiveList; owners: Uint8Array[]; holders: Uint8Array[] }
    | { name: 'conversations'; list: HistoryIndex; owners: Uint8Array[]; recovery: Uint8Array }
  );

/** The active list (2-of-2, like a current transcript) or the history index (t = 1, + recovery key). */
export async function sealArchiveIndex(options: SealIndexOptions): Promise<Uint8Array> {
  if (options.name === 'active') {
    return seal(
      options,
      ARCHIVE_ENVELOPE_KIND.active,
      ActiveListFormat.encode(options.list),
      [options.owners, options.holders],
      2,
    );
  }
  return seal(
    options,
    ARCHIVE_ENVELOPE_KIND.conversations,
    encodeHistoryIndex(options.list),
    [[...options.owners, options.recovery]],
    1,
  );
}

/**
 * The friend bundle (friend-bundle.ts), t = 1 over the owner's active devices and the recovery
 * key like the history index: the phrase alone opens it on a recovered device.
 */
export async function sealFriendBundle(
  options: SealBase & { bundle: FriendBundle; owners: Uint8Array[]; recovery: Uint8Array },
): Promise<Uint8Array> {
  return seal(
    options,
    ARCHIVE_ENVELOPE_KIND.friends,
    FriendBundleFormat.encode(options.bundle),
    [[...options.owners, options.recovery]],
    1,
  );
}

function seal(
  options: SealBase,
  kind: string,
  plaintext: Uint8Array,
  shareGroups: Uint8Array[][],
  threshold: number,
): Promise<Uint8Array> {
  return sealEnvelope({
    kind,
    plaintext,
    shareGroups,
    threshold,
    sender: options.sender,
    createdAt: options.createdAt,
    random: options.random,
    ...(options.backend ? { backend: options.backend } : {}),
  });
}

/** The kind check on an opened envelope: its plaintext and the rest, or ARCHIVE_WRONG_KIND. */
function expectKind(
  opened: OpenedEnvelope,
  kinds: readonly string[],
): { plaintext: Uint8Array; envelope: VerifiedEnvelope } {
  const { plaintext, ...envelope } = opened;
  if (!kinds.includes(envelope.kind)) {
    throw new KithError('ARCHIVE_WRONG_KIND', `Expected ${kinds.join(' or ')}, found ${envelope.kind}.`);
  }
  return { plaintext, envelope };
}

/**
 * What follows decryption, without cryptography: the kind check and the plaintext's decoding.
 * The `open…` functions below are `openEnvelope` then one of these; the long fuzz property
 * drives them directly, since sealing a real envelope per case costs some 40 ms.
 */
export const readOpenedArchive = {
  transcript(opened: OpenedEnvelope): {
    transcript: Transcript;
    kind: 'current' | 'history';
    envelope: VerifiedEnvelope;
  } {
    const { plaintext, envelope } = expectKind(opened, [
      ARCHIVE_ENVELOPE_KIND.current,
      ARCHIVE_ENVELOPE_KIND.history,
    ]);
    return {
      transcript: TranscriptFormat.decode(plaintext),
      kind: envelope.kind === ARCHIVE_ENVELOPE_KIND.current ? 'current' : 'history',
      envelope,
    };
  },
  activeList(opened: OpenedEnvelope): ActiveList {
    return ActiveListFormat.decode(expectKind(opened, [ARCHIVE_ENVELOPE_KIND.active]).plaintext);
  },
  /** Either version (v1: one entry per topic; v2: segments). `historySegments` reads both alike. */
  historyIndex(opened: OpenedEnvelope): HistoryIndex {
    return decodeHistoryIndex(expectKind(opened, [ARCHIVE_ENVELOPE_KIND.conversations]).plaintext);
  },
  friendBundle(opened: OpenedEnvelope): { bundle: FriendBundle; envelope: VerifiedEnvelope } {
    const { plaintext, envelope } = expectKind(opened, [ARCHIVE_ENVELOPE_KIND.friends]);
    return { bundle: FriendBundleFormat.decode(plaintext), envelope };
  },
};

/** Opens a current or history transcript with own keys and handed-over (opened) shares. */
export async function openTranscript(
  bytes: Uint8Array,
  options: OpenOptions,
): Promise<{ transcript: Transcript; kind: 'current' | 'history'; envelope: VerifiedEnvelope }> {
  return readOpenedArchive.transcript(await openEnvelope(bytes, options));
}

export async function openActiveList(bytes: Uint8Array, options: OpenOptions): Promise<ActiveList> {
  return readOpenedArchive.activeList(await openEnvelope(bytes, options));
}

export async function openHistoryIndex(bytes: Uint8Array, options: OpenOptions): Promise<HistoryIndex> {
  return readOpenedArchive.historyIndex(await openEnvelope(bytes, options));
}

export async function openFriendBundle(
  bytes: Uint8Array,
  options: OpenOptions,
): Promise<{ bundle: FriendBundle; envelope: VerifiedEnvelope }> {
  return readOpenedArchive.friendBundle(await openEnvelope(bytes, options));
}

const rewrapInfo = utf8.encode(KDF.ARCHIVE_SHARE_REWRAP);

function checkLengths(envelopeId: Uint8Array, key: Uint8Array): void {
  if (!(envelopeId instanceof Uint8Array) || envelopeId.length !== 32) {
    throw new KithError('INVALID_INPUT', 'An envelope id is 32 bytes.');
  }
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new KithError('CRYPTO_BAD_KEY');
}

/**
 * A holder's (or own device's) unwrapped share, re-sealed to the requesting device `to`:
 * HPKE with info KDF.ARCHIVE_SHARE_REWRAP and aad = envelopeId || to, so it opens only for that
 * device and only as a share of that envelope. Returns enc (32 bytes) || HPKE ciphertext.
 */
export async function rewrapShare(options: {
  envelopeId: Uint8Array;
  share: Uint8Array;
  to: Uint8Array;
  random: RandomSource;
}): Promise<Uint8Array> {
  const { envelopeId, share, to } = options;
  checkLengths(envelopeId, to);
  if (!(share instanceof Uint8Array) || share.length < 1 || share.length > MAX_SHARE_BYTES) {
    throw new KithError('INVALID_INPUT', 'A key share is 1 to 64 bytes.');
  }
  const { enc, ciphertext } = await hpkeSeal(to, share, {
    info: rewrapInfo,
    aad: concatBytes(envelopeId, to),
    random: options.random,
  });
  return concatBytes(enc, ciphertext);
}

/** Opens a share re-wrapped to `key` for `envelopeId`; anything else is ARCHIVE_SHARE_INVALID. */
export async function openRewrappedShare(options: {
  envelopeId: Uint8Array;
  wrapped: Uint8Array;
  key: AgreementKeyPair;
}): Promise<Uint8Array> {
  const { envelopeId, wrapped, key } = options;
  checkLengths(envelopeId, key.publicKey);
  if (!(wrapped instanceof Uint8Array) || wrapped.length <= ENC_BYTES + 16) {
    throw new KithError('ARCHIVE_SHARE_INVALID', 'It is too short to be a re-wrapped share.');
  }
  try {
    return await hpkeOpen(key.privateKey, wrapped.subarray(0, ENC_BYTES), wrapped.subarray(ENC_BYTES), {
      info: rewrapInfo,
      aad: concatBytes(envelopeId, key.publicKey),
    });
  } catch (cause) {
    throw new KithError('ARCHIVE_SHARE_INVALID', undefined, { cause });
  }
}
