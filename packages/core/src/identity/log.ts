/**
 * The identity log (docs/DESIGN.md §2, §4): a user's append-only, hash-linked list of signed entries.
 * Friends keep a copy and refuse forks, gaps, bad signatures, reused device indexes and entries
 * signed by revoked devices.
 *
 * Entry v1 = { v, body, sig }, body = { v, root, seq, prev, at, signer, op }.
 *   seq 0 is the genesis (deterministic: at = 0) carrying the offline recovery key, so the
 *   phrase alone rebuilds it byte for byte. add-device and revoke-device are signed by the root;
 *   profile may be signed by the root (signer -1) or by an active device (signer = its index).
 * An entry's hash is SHA-256(label LOG_ENTRY || entry bytes); `prev` is the previous hash.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { CryptoBackend } from '../crypto/backend.ts';
import { constantTimeEqual, defaultBackend } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { defineFormat } from '../format.ts';
import { type DeviceId, type UserId, userIdFromRootKey } from '../ids.ts';
import { HASH, SIG, frameWithLabel } from '../labels.ts';
import { signWithLabel, verifyWithLabel } from '../signing.ts';
import { type DeviceCertificate, verifyDeviceCertificate } from './certificate.ts';
import type { RootKeys } from './derive.ts';
import { MAX_LOG_ENTRIES } from './log-limits.ts';

const Key32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });
const ROOT_SIGNER = -1;
export { MAX_LOG_ENTRIES };

const Op = Type.Union([
  Type.Object(
    { type: Type.Literal('genesis'), recoveryKey: Key32, name: Type.String({ maxLength: 64 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('add-device'), cert: Type.Uint8Array({ maxByteLength: 1024 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('revoke-device'),
      index: Type.Integer({ minimum: 0, maximum: 0x7fffffff }),
      reason: Type.String({ maxLength: 200 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('profile'), name: Type.String({ maxLength: 64 }) },
    { additionalProperties: false },
  ),
]);
export type LogOp = Static<typeof Op>;

const EntryBodyFormat = defineFormat(
  'identity-log-entry-body',
  1,
  2048,
  Type.Object(
    {
      v: Type.Literal(1),
      root: Key32,
      seq: Type.Integer({ minimum: 0, maximum: MAX_LOG_ENTRIES }),
      prev: Type.Union([Key32, Type.Null()]),
      at: Type.Integer({ minimum: 0 }),
      signer: Type.Integer({ minimum: ROOT_SIGNER, maximum: 0x7fffffff }),
      op: Op,
    },
    { additionalProperties: false },
  ),
);

export const LogEntryFormat = defineFormat(
  'identity-log-entry',
  1,
  2200,
  Type.Object(
    {
      v: Type.Literal(1),
      body: Type.Uint8Array({ maxByteLength: 2048 }),
      sig: Type.Uint8Array({ minByteLength: 64, maxByteLength: 64 }),
    },
    { additionalProperties: false },
  ),
);

export interface DeviceRecord {
  readonly certificate: DeviceCertificate;
  status: 'active' | 'revoked';
  revokedAt?: number;
  revokeReason?: string;
}

export interface LogState {
  readonly userId: UserId;
  readonly rootKey: Uint8Array;
  readonly recoveryKey: Uint8Array;
  name: string;
  /** seq of the last entry. */
  seq: number;
  head: Uint8Array;
  readonly devices: Map<number, DeviceRecord>;
  readonly entries: Uint8Array[];
}

export function entryHash(entry: Uint8Array, backend: CryptoBackend = defaultBackend()): Uint8Array {
  return backend.sha256(frameWithLabel(HASH.LOG_ENTRY, entry));
}

function signEntry(
  body: Parameters<typeof EntryBodyFormat.encode>[0],
  seed: Uint8Array,
  backend: CryptoBackend,
): Uint8Array {
  const bodyBytes = EntryBodyFormat.encode(body);
  return LogEntryFormat.encode({
    v: 1,
    body: bodyBytes,
    sig: signWithLabel(SIG.IDENTITY_ENTRY, bodyBytes, seed, backend),
  });
}

/** The deterministic first entry: the same phrase always gives the same genesis. */
export function createGenesis(root: RootKeys, backend: CryptoBackend = defaultBackend()): Uint8Array {
  return signEntry(
    {
      v: 1,
      root: root.root.publicKey,
      seq: 0,
      prev: null,
      at: 0,
      signer: ROOT_SIGNER,
      op: { type: 'genesis', recoveryKey: root.recovery.publicKey, name: '' },
    },
    root.root.seed,
    backend,
  );
}

export type LogSigner =
  | { kind: 'root'; seed: Uint8Array }
  | { kind: 'device'; index: number; seed: Uint8Array };

/** Appends one entry and returns the new state (the input state is not modified). */
export function appendEntry(
  state: LogState,
  signer: LogSigner,
  op: LogOp,
  at: number,
  backend: CryptoBackend = defaultBackend(),
): LogState {
  const entry = signEntry(
    {
      v: 1,
      root: state.rootKey,
      seq: state.seq + 1,
      prev: state.head,
      at,
      signer: signer.kind === 'root' ? ROOT_SIGNER : signer.index,
      op,
    },
    signer.seed,
    backend,
  );
  return verifyLog([...state.entries, entry], backend);
}

function fail(seq: number, why: string): never {
  throw new KithError('LOG_INVALID', `Entry ${seq}: ${why}`);
}

/** Verifies a whole log from genesis and returns its state. */
export function verifyLog(
  entries: readonly Uint8Array[],
  backend: CryptoBackend = defaultBackend(),
): LogState {
  if (entries.length === 0) throw new KithError('LOG_INVALID', 'The log is empty.');
  if (entries.length > MAX_LOG_ENTRIES) throw new KithError('LOG_INVALID', 'The log is too long.');
  let state: LogState | undefined;
  const usedIndexes = new Set<number>();
  entries.forEach((entryBytes, i) => {
    const entry = LogEntryFormat.decode(entryBytes);
    const body = EntryBodyFormat.decode(entry.body);
    if (body.seq !== i) fail(i, `sequence number ${body.seq} where ${i} was expected (a gap or reordering).`);
    if (i === 0) {
      if (body.op.type !== 'genesis' || body.prev !== null || body.signer !== ROOT_SIGNER) {
        fail(0, 'the first entry must be a root-signed genesis.');
      }
      if (!verifyWithLabel(SIG.IDENTITY_ENTRY, entry.sig, entry.body, body.root, backend)) {
        fail(0, 'bad signature.');
      }
      state = {
        userId: userIdFromRootKey(body.root, backend),
        rootKey: body.root,
        recoveryKey: body.op.recoveryKey,
        name: body.op.name,
        seq: 0,
        head: entryHash(entryBytes, backend),
        devices: new Map(),
        entries: [entryBytes],
      };
      return;
    }
    const s = state!;
    if (!constantTimeEqual(body.root, s.rootKey)) fail(i, 'it belongs to another user.');
    if (body.prev === null || !constantTimeEqual(body.prev, s.head))
      fail(i, 'it does not link to the entry before it.');
    let signerKey: Uint8Array;
    if (body.signer === ROOT_SIGNER) {
      signerKey = s.rootKey;
    } else {
      const device = s.devices.get(body.signer);
      if (!device) fail(i, `signed by unknown device index ${body.signer}.`);
      if (device.status === 'revoked') {
        throw new KithError('DEVICE_REVOKED', `Identity log entry ${i} is signed by a revoked device.`);
      }
      signerKey = device.certificate.signingKey;
    }
    if (!verifyWithLabel(SIG.IDENTITY_ENTRY, entry.sig, entry.body, signerKey, backend))
      fail(i, 'bad signature.');
    const op = body.op;
    switch (op.type) {
      case 'genesis':
        fail(i, 'a second genesis.');
        break;
      case 'add-device': {
        if (body.signer !== ROOT_SIGNER) fail(i, 'only the root key may add a device.');
        const cert = verifyDeviceCertificate(op.cert, backend);
        if (!constantTimeEqual(cert.rootKey, s.rootKey)) fail(i, 'the certificate is for another user.');
        if (usedIndexes.has(cert.index)) {
          throw new KithError(
            'DEVICE_INDEX_USED',
            `Identity log entry ${i} reuses device index ${cert.index}.`,
          );
        }
        usedIndexes.add(cert.index);
        s.devices.set(cert.index, { certificate: cert, status: 'active' });
        break;
      }
      case 'revoke-device': {
        if (body.signer !== ROOT_SIGNER) fail(i, 'only the root key may revoke a device.');
        const device = s.devices.get(op.index);
        if (!device || device.status === 'revoked')
          fail(i, `device index ${op.index} is not an active device.`);
        device.status = 'revoked';
        device.revokedAt = body.at;
        device.revokeReason = op.reason;
        break;
      }
      case 'profile':
        s.name = op.name;
        break;
    }
    s.seq = i;
    s.head = entryHash(entryBytes, backend);
    s.entries.push(entryBytes);
  });
  return state!;
}

/**
 * Reconciles a stored copy with one received from a peer: the longer wins if it extends the
 * other; two logs that differ at the same sequence number are a fork and are refused.
 */
export function mergeLog(
  known: readonly Uint8Array[],
  incoming: readonly Uint8Array[],
  backend: CryptoBackend = defaultBackend(),
): LogState {
  const verified = verifyLog(incoming, backend);
  if (known.length === 0) return verified;
  const common = Math.min(known.length, incoming.length);
  for (let i = 0; i < common; i++) {
    if (!constantTimeEqual(known[i]!, incoming[i]!)) {
      throw new KithError('LOG_FORK', `The copies differ at entry ${i}.`);
    }
  }
  return incoming.length >= known.length ? verified : verifyLog(known, backend);
}

export function activeDevices(state: LogState): DeviceCertificate[] {
  return [...state.devices.values()].filter((d) => d.status === 'active').map((d) => d.certificate);
}

export function findDevice(state: LogState, deviceId: DeviceId | string): DeviceRecord | undefined {
  return [...state.devices.values()].find((d) => d.certificate.deviceId === deviceId);
}

/** Indexes are never reused, even after a revocation. */
export function nextDeviceIndex(state: LogState): number {
  let max = -1;
  for (const index of state.devices.keys()) max = Math.max(max, index);
  return max + 1;
}
