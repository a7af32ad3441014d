/**
 * The key schedule of a short-code run (docs/PROTOCOL.md §9a): CPace on the code's words, then
 * explicit key confirmation both ways, then the long invite sealed to the acceptor. Pure: the
 * transport lives in the agent (services/agent/src/peer/short-code-*.ts).
 *
 *   PRS = the words, CI = label SHORT_CODE_CI, sid = 16 random bytes from the acceptor
 *   ADa = "kith/v1 acceptor <nameplate>", ADb = "kith/v1 inviter"
 *   kA, kB, kSeal = HKDF-SHA256(ISK, labels SHORT_CODE_CONFIRM_A / _B / SHORT_CODE_SEAL)
 *   confirmB = HMAC-SHA256(kB, Ya ‖ Yb), confirmA = HMAC-SHA256(kA, Ya ‖ Yb)
 *   sealed   = ChaCha20-Poly1305(kSeal, nonce 0, long code, aad label SHORT_CODE_SEAL)
 *
 * The inviter confirms first; the acceptor answers only if that checks, so a wrong code shows up
 * on both sides before anything secret is sent. kSeal is used for exactly one message, so the
 * fixed nonce never repeats under one key.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { constantTimeEqual, defaultBackend, utf8 } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { KDF } from '../labels.ts';
import { cpaceIsk, cpaceShare, sampleScalar } from './cpace.ts';
import { type ShortCode, shortCodePassword } from './short-code.ts';

export interface ShortRunKeys {
  confirmA: Uint8Array;
  confirmB: Uint8Array;
  seal: Uint8Array;
}

function keys(isk: Uint8Array, ya: Uint8Array, yb: Uint8Array, backend: CryptoBackend): ShortRunKeys {
  const derive = (label: string) => backend.hkdfSha256(isk, new Uint8Array(0), utf8.encode(label), 32);
  const both = new Uint8Array([...ya, ...yb]);
  return {
    confirmA: backend.hmacSha256(derive(KDF.SHORT_CODE_CONFIRM_A), both),
    confirmB: backend.hmacSha256(derive(KDF.SHORT_CODE_CONFIRM_B), both),
    seal: derive(KDF.SHORT_CODE_SEAL),
  };
}

function inputs(code: ShortCode, sid: Uint8Array) {
  return { prs: shortCodePassword(code), ci: utf8.encode(KDF.SHORT_CODE_CI), sid };
}

const adA = (nameplate: number) => utf8.encode(`kith/v1 acceptor ${nameplate}`);
const AD_B = utf8.encode('kith/v1 inviter');

export interface AcceptorStart {
  scalar: Uint8Array;
  hello: { nameplate: number; sid: Uint8Array; ya: Uint8Array };
}

export function acceptorStart(code: ShortCode, random: (n: number) => Uint8Array): AcceptorStart {
  const sid = random(16);
  const scalar = sampleScalar(random);
  return { scalar, hello: { nameplate: code.nameplate, sid, ya: cpaceShare(inputs(code, sid), scalar) } };
}

/** Inviter: answers a hello with its share and confirmation, and keeps the keys to check the acceptor. */
export function inviterReply(
  code: ShortCode,
  hello: { sid: Uint8Array; ya: Uint8Array },
  random: (n: number) => Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): { reply: { yb: Uint8Array; confirm: Uint8Array }; keys: ShortRunKeys } {
  const scalar = sampleScalar(random);
  const yb = cpaceShare(inputs(code, hello.sid), scalar);
  const isk = cpaceIsk({ sid: hello.sid }, { scalar }, hello.ya, {
    ya: hello.ya,
    ada: adA(code.nameplate),
    yb,
    adb: AD_B,
  });
  const k = keys(isk, hello.ya, yb, backend);
  return { reply: { yb, confirm: k.confirmB }, keys: k };
}

/** Acceptor: checks the inviter's confirmation; SHORT_CODE_WRONG when the words differ. */
export function acceptorFinish(
  code: ShortCode,
  start: AcceptorStart,
  reply: { yb: Uint8Array; confirm: Uint8Array },
  backend: CryptoBackend = defaultBackend(),
): ShortRunKeys {
  const { hello } = start;
  let k: ShortRunKeys;
  try {
    const isk = cpaceIsk({ sid: hello.sid }, { scalar: start.scalar }, reply.yb, {
      ya: hello.ya,
      ada: adA(code.nameplate),
      yb: reply.yb,
      adb: AD_B,
    });
    k = keys(isk, hello.ya, reply.yb, backend);
  } catch {
    throw new KithError('SHORT_CODE_WRONG');
  }
  if (!constantTimeEqual(k.confirmB, reply.confirm)) throw new KithError('SHORT_CODE_WRONG');
  return k;
}

const NONCE = new Uint8Array(12);
const AAD = utf8.encode(KDF.SHORT_CODE_SEAL);

export function sealLongCode(
  k: ShortRunKeys,
  longCode: string,
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  return backend.chacha20poly1305Seal(k.seal, NONCE, utf8.encode(longCode), AAD);
}

export function openLongCode(
  k: ShortRunKeys,
  sealed: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): string {
  return utf8.decode(backend.chacha20poly1305Open(k.seal, NONCE, sealed, AAD));
}
