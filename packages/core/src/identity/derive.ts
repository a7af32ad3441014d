/**
 * Kith's key tree (docs/DESIGN.md §4). Every key of a user comes from the seed phrase:
 *
 *   m/1263096904'/0'            root key (Ed25519) — adds and revokes devices; lives on paper
 *   m/1263096904'/1'            recovery key: HKDF(label RECOVERY_X25519) -> X25519, offline
 *   m/1263096904'/2'/i'/0'      device i signing key (Ed25519)
 *   m/1263096904'/2'/i'/1'      device i agreement key: HKDF(label DEVICE_X25519) -> X25519
 *
 * 1263096904 is "KITH" in ASCII (0x4b495448). Our vectors are in
 * packages/core/test/vectors/kith-derivation-v1.json.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend, utf8 } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { type DeviceId, deviceIdFromSigningKey, type UserId, userIdFromRootKey } from '../ids.ts';
import { KDF } from '../labels.ts';
import { slip10Derive } from './slip10.ts';

export const KITH_PURPOSE = 0x4b495448;
/** Device indexes are 31-bit (hardened). */
export const MAX_DEVICE_INDEX = 0x7fffffff;

export interface SigningKeyPair {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}
export interface AgreementKeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}
export interface RootKeys {
  readonly userId: UserId;
  readonly root: SigningKeyPair;
  readonly recovery: AgreementKeyPair;
}
export interface DeviceKeys {
  readonly index: number;
  readonly deviceId: DeviceId;
  readonly signing: SigningKeyPair;
  readonly agreement: AgreementKeyPair;
}

const empty = new Uint8Array(0);

function signingPair(seed: Uint8Array, backend: CryptoBackend): SigningKeyPair {
  return { seed, publicKey: backend.ed25519PublicKey(seed) };
}

function agreementPair(material: Uint8Array, label: string, backend: CryptoBackend): AgreementKeyPair {
  const privateKey = backend.hkdfSha256(material, empty, utf8.encode(label), 32);
  return { privateKey, publicKey: backend.x25519PublicKey(privateKey) };
}

export function deriveRootKeys(seed: Uint8Array, backend: CryptoBackend = defaultBackend()): RootKeys {
  const root = signingPair(slip10Derive(seed, `m/${KITH_PURPOSE}'/0'`, backend).privateKey, backend);
  const recoveryNode = slip10Derive(seed, `m/${KITH_PURPOSE}'/1'`, backend);
  return {
    userId: userIdFromRootKey(root.publicKey, backend),
    root,
    recovery: agreementPair(recoveryNode.privateKey, KDF.RECOVERY_X25519, backend),
  };
}

export function deriveDeviceKeys(
  seed: Uint8Array,
  index: number,
  backend: CryptoBackend = defaultBackend(),
): DeviceKeys {
  if (!Number.isInteger(index) || index < 0 || index > MAX_DEVICE_INDEX) {
    throw new KithError('INVALID_INPUT', `A device index is a whole number from 0 to ${MAX_DEVICE_INDEX}.`);
  }
  const base = `m/${KITH_PURPOSE}'/2'/${index}'`;
  const signing = signingPair(slip10Derive(seed, `${base}/0'`, backend).privateKey, backend);
  const agreement = agreementPair(
    slip10Derive(seed, `${base}/1'`, backend).privateKey,
    KDF.DEVICE_X25519,
    backend,
  );
  return { index, deviceId: deviceIdFromSigningKey(signing.publicKey, backend), signing, agreement };
}
