/**
 * CPace (draft-irtf-cfrg-cpace, cipher suite CPACE-RISTR255-SHA512), initiator-responder setting,
 * on @noble/curves' ristretto255 (RFC 9496). Used to stretch a short spoken code into a strong key
 * (docs/PROTOCOL.md §9a, docs/SECURITY.md "Short codes"): each protocol run lets an active
 * attacker test one guess of the code, and nothing observed on the wire lets anyone test a guess
 * offline. Checked against the draft's published vectors (test/vectors/cpace-ristretto255.json).
 *
 *   g   = element_derivation(SHA-512(lv_cat(DSI, PRS, zpad, CI, sid)))
 *   Ya  = ya·g, Yb = yb·g
 *   K   = ya·Yb = yb·Ya (abort when K is the identity or a share does not decode)
 *   ISK = SHA-512(lv_cat(DSI‖"_ISK", sid, K) ‖ lv_cat(Ya, ADa) ‖ lv_cat(Yb, ADb))
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { KithError } from '../errors.ts';

const DSI = new TextEncoder().encode('CPaceRistretto255');
const DSI_ISK = new TextEncoder().encode('CPaceRistretto255_ISK');
/** SHA-512's input block size (H.s_in_bytes). */
const S_IN_BYTES = 128;
const Point = ristretto255.Point;
const ORDER = Point.Fn.ORDER;

/** LEB128 length ‖ data. */
export function prependLen(data: Uint8Array): Uint8Array {
  const len: number[] = [];
  let n = data.length;
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return concat(Uint8Array.from(len), data);
}

export function lvCat(...parts: Uint8Array[]): Uint8Array {
  return concat(...parts.map(prependLen));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const zpad = Math.max(0, S_IN_BYTES - prependLen(prs).length - prependLen(DSI).length - 1);
  return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid);
}

/** The generator g (its public encoding), for the vector test. */
export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array) {
  return ristretto255_hasher.deriveToCurve!(sha512(generatorString(prs, ci, sid)));
}

/** Little-endian scalar bytes, reduced mod the group order. */
function scalarOf(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n % ORDER;
}

/** G.sample_scalar(): 32 random bytes with the bits above 252 cleared (draft §8.3). */
export function sampleScalar(random: (n: number) => Uint8Array): Uint8Array {
  const s = random(32);
  s[31]! &= 0x0f;
  return s;
}

export interface CpaceInputs {
  /** The password-related string: here the short code's secret words. */
  prs: Uint8Array;
  /** Channel identifier (not sent). */
  ci: Uint8Array;
  /** Session id, public, fresh per run. */
  sid: Uint8Array;
}

/** Y = y·g, the public share (32 bytes). */
export function cpaceShare(inputs: CpaceInputs, scalar: Uint8Array): Uint8Array {
  const y = scalarOf(scalar);
  if (y === 0n) throw new KithError('PAIRING_FAILED', 'The key-exchange scalar is zero.');
  return calculateGenerator(inputs.prs, inputs.ci, inputs.sid).multiply(y).toBytes();
}

/** G.scalar_mult_vfy: y·decode(X), or undefined (G.I) when X does not decode or the result is the identity. */
export function scalarMultVfy(scalar: Uint8Array, encoded: Uint8Array): Uint8Array | undefined {
  let point: InstanceType<typeof Point>;
  try {
    point = Point.fromBytes(encoded);
  } catch {
    return undefined;
  }
  const y = scalarOf(scalar);
  if (y === 0n || point.is0()) return undefined;
  const k = point.multiply(y);
  return k.is0() ? undefined : k.toBytes();
}

/**
 * ISK for the initiator-responder setting. Throws PAIRING_FAILED when the peer's share is not a
 * valid element (the draft's abort on K = G.I).
 */
export function cpaceIsk(
  inputs: Pick<CpaceInputs, 'sid'>,
  own: { scalar: Uint8Array },
  theirs: Uint8Array,
  transcript: { ya: Uint8Array; ada: Uint8Array; yb: Uint8Array; adb: Uint8Array },
): Uint8Array {
  const k = scalarMultVfy(own.scalar, theirs);
  if (!k) throw new KithError('PAIRING_FAILED', 'The other side’s key-exchange share is not valid.');
  return sha512(
    concat(
      lvCat(DSI_ISK, inputs.sid, k),
      lvCat(transcript.ya, transcript.ada),
      lvCat(transcript.yb, transcript.adb),
    ),
  );
}
