/**
 * Relay list (docs/DESIGN.md §7, docs/PROTOCOL.md §10): the devices that hold a user's items while
 * that user's devices are offline: the user's own devices and those of friends who agreed to
 * relay. Signed by any active device of the user (the reader checks that against the user's
 * identity log), with a sequence number so the newest wins. Gossiped to friends and own devices.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend } from './crypto/backend.ts';
import { defaultBackend } from './crypto/index.ts';
import { KithError } from './errors.ts';
import { defineSignedFormat } from './signed-format.ts';
import { type DeviceId, type UserId, deviceIdFromSigningKey } from './ids.ts';
import { SIG } from './labels.ts';

export const MAX_RELAYS = 64;
/** A user or device id as written (ids.ts): five groups of five Crockford characters. */
const IdString = Type.String({ pattern: '^[0-9a-hjkmnp-tv-z]{5}(-[0-9a-hjkmnp-tv-z]{5}){4}$' });

export const RelayListFormat = defineSignedFormat(
  'relay-list',
  1,
  4096,
  Type.Object(
    {
      v: Type.Literal(1),
      user: IdString,
      device: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
      seq: Type.Integer({ minimum: 0 }),
      relays: Type.Array(IdString, { maxItems: MAX_RELAYS }),
      issuedAt: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
  SIG.RELAY_LIST,
);

export interface RelayList {
  readonly userId: UserId;
  /** The device that signed it; the reader must check it is an active device of `userId`. */
  readonly signerId: DeviceId;
  readonly signingKey: Uint8Array;
  readonly seq: number;
  readonly relays: DeviceId[];
  readonly issuedAt: number;
  readonly bytes: Uint8Array;
}

/** Relays are stored sorted and without repeats, so equal sets sign equal bodies. */
export function normaliseRelays(relays: readonly string[]): string[] {
  return [...new Set(relays)].sort();
}

export function signRelayList(
  device: { seed: Uint8Array; publicKey: Uint8Array },
  list: { user: string; seq: number; relays: readonly string[]; issuedAt: number },
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  const relays = normaliseRelays(list.relays);
  if (relays.length > MAX_RELAYS)
    throw new KithError('INVALID_INPUT', `A relay list names at most ${MAX_RELAYS} devices.`);
  return RelayListFormat.sign(
    { v: 1, user: list.user, device: device.publicKey, seq: list.seq, relays, issuedAt: list.issuedAt },
    device.seed,
    backend,
  );
}

/** Checks the signature only; whose device signed it is the caller's question (identity log). */
export function verifyRelayList(bytes: Uint8Array, backend: CryptoBackend = defaultBackend()): RelayList {
  const { value: body, verified } = RelayListFormat.open(bytes, (b) => b.device, backend);
  if (!verified) {
    throw new KithError('CRYPTO_BAD_SIGNATURE', 'The relay list is not signed by the device it names.');
  }
  return {
    userId: body.user as UserId,
    signerId: deviceIdFromSigningKey(body.device, backend),
    signingKey: body.device,
    seq: body.seq,
    relays: body.relays as DeviceId[],
    issuedAt: body.issuedAt,
    bytes,
  };
}
