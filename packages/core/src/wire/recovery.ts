import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

const Entries = Type.Array(Type.Uint8Array({ maxByteLength: 2200 }), { maxItems: 10_000 });

/**
 * Recovery with a friend's invite (docs/PROTOCOL.md "Pairing in person", step 6). Sent instead
 * of `pair-request` on the IKpsk2 link a friend invite opened, by a machine that rebuilt user
 * `user`'s root from the phrase and has no device yet (temporary static key).
 */
export const RecoverRequestMessage = defineMessage('recover-request', 1, 1024, {
  inviteId: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
  user: Type.String({ maxLength: 64 }),
});

/** The inviter's copy of `user`'s identity log, its own log and its address record. */
export const RecoverLogMessage = defineMessage('recover-log', 1, 4 * 1024 * 1024, {
  log: Entries,
  friendLog: Entries,
  addressRecord: Type.Uint8Array({ maxByteLength: 1200 }),
});

/** The copy extended with root-signed revocations and the recovered device's add-device. */
export const RecoverExtendMessage = defineMessage('recover-extend', 1, 4 * 1024 * 1024, {
  log: Entries,
});

/** The inviter merged the extension: the recovered device is its friend's device from now on. */
export const RecoverAcceptMessage = defineMessage('recover-accept', 1, 256, {
  deviceId: Type.String({ maxLength: 64 }),
});
