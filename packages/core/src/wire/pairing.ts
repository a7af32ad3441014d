import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

const Entries = Type.Array(Type.Uint8Array({ maxByteLength: 2200 }), { maxItems: 10_000 });

/**
 * Pairing in person (docs/PROTOCOL.md "Pairing"). Sent by the one who accepts an invite, on the
 * IKpsk2 link the invite opened. For a friend invite it carries the acceptor's identity log;
 * for an own-device invite the acceptor has no identity yet and sends none.
 */
export const PairRequestMessage = defineMessage('pair-request', 1, 4 * 1024 * 1024, {
  inviteId: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
  log: Type.Union([Entries, Type.Null()]),
  addresses: Type.Array(Type.String({ maxLength: 80 }), { maxItems: 8 }),
});

/** The inviter's answer to a friend pairing: its own identity log and address record. */
export const PairAcceptMessage = defineMessage('pair-accept', 1, 4 * 1024 * 1024, {
  log: Entries,
  addressRecord: Type.Uint8Array({ maxByteLength: 1200 }),
});

/**
 * The inviter's answer to an own-device invite: the new device's private keys, derived from
 * the phrase by the root holder (docs/DESIGN.md §4), and the identity log that now lists it. Only ever
 * sent inside the Noise session; never stored or logged by anyone but the new device.
 */
export const DeviceEnrolMessage = defineMessage('device-enrol', 1, 4 * 1024 * 1024, {
  index: Type.Integer({ minimum: 0, maximum: 0x7fffffff }),
  signingSeed: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
  agreementPrivateKey: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
  log: Entries,
  addressRecord: Type.Uint8Array({ maxByteLength: 1200 }),
});

/** Refusal of a pairing, with a catalogue code the acceptor shows. */
export const PairRefuseMessage = defineMessage('pair-refuse', 1, 1024, {
  code: Type.String({ maxLength: 64 }),
});
