import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { noiseKeyPairFromPrivate } from '../../src/noise/dh25519.ts';
import { HandshakeState, type NoiseCipherPair } from '../../src/noise/handshake-state.ts';
import { backends } from '../helpers/backends.ts';

interface NoiseVector {
  protocol_name: string;
  init_prologue: string;
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  init_psks?: string[];
  resp_prologue: string;
  resp_static?: string;
  resp_ephemeral: string;
  resp_remote_static?: string;
  resp_psks?: string[];
  handshake_hash?: string;
  messages: { payload: string; ciphertext: string }[];
}

function load(file: string): NoiseVector[] {
  const url = new URL(`../vectors/noise/${file}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { vectors: NoiseVector[] }).vectors;
}

const files = ['cacophony.json', 'snow.json'];
const wanted = /^Noise_(IK|IKpsk2|XX|XXpsk3)_25519_ChaChaPoly_(BLAKE2b|SHA256)$/;

describe('Noise known-answer vectors (cacophony, snow)', () => {
  it('covers every IK and IKpsk2 vector for both hashes', () => {
    const names = files.flatMap((f) => load(f).map((v) => `${f}:${v.protocol_name}`));
    for (const name of [
      'cacophony.json:Noise_IK_25519_ChaChaPoly_BLAKE2b',
      'cacophony.json:Noise_IK_25519_ChaChaPoly_SHA256',
      'cacophony.json:Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b',
      'cacophony.json:Noise_IKpsk2_25519_ChaChaPoly_SHA256',
      'snow.json:Noise_IK_25519_ChaChaPoly_BLAKE2b',
      'snow.json:Noise_IK_25519_ChaChaPoly_SHA256',
    ]) {
      expect(names).toContain(name);
    }
  });

  for (const backend of backends()) {
    for (const file of files) {
      for (const [i, v] of load(file).entries()) {
        if (!wanted.test(v.protocol_name)) continue;
        it(`${backend.name} ${file} #${i} ${v.protocol_name}`, () => runVector(v, backend));
      }
    }
  }
});

function runVector(v: NoiseVector, backend: ReturnType<typeof backends>[number]): void {
  const key = (hex: string | undefined) => (hex ? noiseKeyPairFromPrivate(backend, fromHex(hex)) : undefined);
  const initiator = new HandshakeState({
    protocol: v.protocol_name,
    initiator: true,
    prologue: fromHex(v.init_prologue),
    s: key(v.init_static),
    e: key(v.init_ephemeral),
    rs: v.init_remote_static ? fromHex(v.init_remote_static) : undefined,
    psks: (v.init_psks ?? []).map(fromHex),
    backend,
  });
  const responder = new HandshakeState({
    protocol: v.protocol_name,
    initiator: false,
    prologue: fromHex(v.resp_prologue),
    s: key(v.resp_static),
    e: key(v.resp_ephemeral),
    rs: v.resp_remote_static ? fromHex(v.resp_remote_static) : undefined,
    psks: (v.resp_psks ?? []).map(fromHex),
    backend,
  });

  let i = 0;
  // Handshake messages alternate initiator -> responder -> ...
  while (!initiator.isComplete()) {
    const msg = v.messages[i]!;
    const [writer, reader] = i % 2 === 0 ? [initiator, responder] : [responder, initiator];
    const ciphertext = writer.writeMessage(fromHex(msg.payload));
    expect(toHex(ciphertext)).toBe(msg.ciphertext);
    expect(toHex(reader.readMessage(ciphertext))).toBe(msg.payload);
    i++;
  }
  expect(responder.isComplete()).toBe(true);
  expect(toHex(initiator.getHandshakeHash())).toBe(toHex(responder.getHandshakeHash()));
  if (v.handshake_hash) expect(toHex(initiator.getHandshakeHash())).toBe(v.handshake_hash);

  // Transport messages: vectors continue alternating, starting with the initiator (§ test-vector format).
  const ini: NoiseCipherPair = initiator.split();
  const res: NoiseCipherPair = responder.split();
  const empty = new Uint8Array(0);
  let fromInitiator = i % 2 === 0;
  for (; i < v.messages.length; i++) {
    const msg = v.messages[i]!;
    const [send, receive] = fromInitiator ? [ini.send, res.receive] : [res.send, ini.receive];
    const ciphertext = send.encryptWithAd(empty, fromHex(msg.payload));
    expect(toHex(ciphertext)).toBe(msg.ciphertext);
    expect(toHex(receive.decryptWithAd(empty, ciphertext))).toBe(msg.payload);
    fromInitiator = !fromInitiator;
  }
}
