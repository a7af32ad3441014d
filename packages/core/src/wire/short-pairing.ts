import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/**
 * Pairing with a short code on a LAN (docs/PROTOCOL.md §9a): a CPace run over a plain TCP
 * connection to the inviter's short-code listener, then the long invite sealed under its key.
 * These four messages are the whole conversation, each a length-prefixed canonical CBOR map.
 */

/** Acceptor → inviter: which invite (the code's number), a fresh session id and CPace share Ya. */
export const PakeHelloMessage = defineMessage('pake-hello', 1, 256, {
  nameplate: Type.Integer({ minimum: 1, maximum: 999 }),
  sid: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
  ya: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
});

/** Inviter → acceptor: CPace share Yb and the inviter's key confirmation. */
export const PakeReplyMessage = defineMessage('pake-reply', 1, 256, {
  yb: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
  confirm: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
});

/** Acceptor → inviter: the acceptor's key confirmation (only sent when the inviter's checked). */
export const PakeConfirmMessage = defineMessage('pake-confirm', 1, 128, {
  confirm: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
});

/** Inviter → acceptor: the long invite code, sealed with ChaCha20-Poly1305 under the run's key. */
export const PakeInviteMessage = defineMessage('pake-invite', 1, 4096, {
  sealed: Type.Uint8Array({ maxByteLength: 3072 }),
});
