/**
 * Fuzzing of every core decoder that takes bytes from outside (issue #17, docs/SECURITY.md
 * "Fuzzing"): raw bytes, mutations of valid encodings (our vectors and freshly signed
 * values), and well-formed CBOR of random shape. Each case must give a value or a catalogued
 * KithError. Long mode: KITH_FUZZ_RUNS=1000000 npx vitest run --project unit fuzz
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { verifyAddressRecord } from '../../src/address-record.ts';
import { FriendBundleFormat } from '../../src/archive/friend-bundle.ts';
import { decodeHistoryIndex } from '../../src/archive/history-index.ts';
import { signStorageReceipt, verifyStorageReceipt } from '../../src/archive/storage-receipt.ts';
import { decodeCanonical } from '../../src/codec.ts';
import { fromHex, nobleBackend } from '../../src/crypto/index.ts';
import { decodeHeader } from '../../src/envelope-header.ts';
import { verifyEnvelope } from '../../src/envelope.ts';
import { deriveRootKeys } from '../../src/identity/derive.ts';
import { createGenesis, verifyLog } from '../../src/identity/log.ts';
import { parseId } from '../../src/ids.ts';
import { verifyChatMessage } from '../../src/messaging/chat-message.ts';
import { openReceipt, signReceiptBatch, verifyReceipt } from '../../src/messaging/receipt.ts';
import { openEvent } from '../../src/conversation/event.ts';
import { openOutcome } from '../../src/conversation/outcome.ts';
import { openGenesis } from '../../src/conversation/genesis.ts';
import { signRelayList, verifyRelayList } from '../../src/relay-list.ts';
import { verifyFriendList } from '../../src/friend-list.ts';
import { type AnyMessage, decodeMessage } from '../../src/wire/message.ts';
import {
  fuzzAssert,
  decodesOrRefuses,
  decoderInput,
  FUZZ_TIMEOUT,
  mutationsOf,
  params,
  rawBytes,
} from './harness.ts';

const backend = nobleBackend;
const VECTORS = join(import.meta.dirname, '../vectors');
const vector = (name: string) => JSON.parse(readFileSync(join(VECTORS, name), 'utf8'));

const signer = {
  seed: fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
  publicKey: fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
};
const deviceId = 'bwwcj-x6s30-63kpz-cp8fe-trg9y';

const envelopes = ['v1', 'v2', 'v3'].flatMap((v) =>
  (vector(`kith-envelope-header-${v}.json`).cases as { envelope: string }[]).map((c) => fromHex(c.envelope)),
);
const addressRecords = ['v1', 'v2'].map((v) => fromHex(vector('kith-address-record.json')[v] as string));
const historyIndexes = ['v1', 'v2'].map((v) => fromHex(vector('kith-history-index.json')[v].cbor as string));
const friendLists = [fromHex(vector('kith-friend-list.json').v1 as string)];
const friendBundles = [fromHex(vector('kith-friend-bundle.json').v1.cbor as string)];
const relayLists = [
  signRelayList(signer, { user: deviceId, seq: 3, relays: [deviceId], issuedAt: 1_700_000_000_000 }, backend),
];
const receipts = [
  signReceiptBatch(
    {
      items: [fromHex('11'.repeat(16)), fromHex('22'.repeat(16))],
      target: deviceId,
      state: 'delivered',
      at: 1,
    },
    signer,
    backend,
  ),
];
const storageReceipts = [
  signStorageReceipt({ blob: fromHex('11'.repeat(32)), owner: deviceId, size: 12, at: 1 }, signer, backend),
];
const genesisEntry = createGenesis(deriveRootKeys(new Uint8Array(64).fill(1)), backend);

/** Every wire message definition in src/wire (one file per message). */
const wireDir = join(import.meta.dirname, '../../src/wire');
const messages: AnyMessage[] = [];
for (const file of readdirSync(wireDir).filter((f) => f.endsWith('.ts') && f !== 'message.ts')) {
  const mod = (await import(join(wireDir, file))) as Record<string, unknown>;
  for (const value of Object.values(mod)) {
    const m = value as Partial<AnyMessage>;
    if (m && typeof m === 'object' && typeof m.type === 'string' && typeof m.decode === 'function') {
      messages.push(m as AnyMessage);
    }
  }
}

describe('fuzz: core decoders give a value or a catalogued error, never a crash', () => {
  const prop = <T>(name: string, input: fc.Arbitrary<T>, decode: (x: T) => unknown, short = 1000) =>
    it(
      name,
      () => {
        fuzzAssert(
          fc.property(input, (x) => decodesOrRefuses(decode, x)),
          params(short),
        );
      },
      FUZZ_TIMEOUT,
    );

  prop('canonical CBOR (decodeCanonical)', decoderInput(envelopes), (b) => decodeCanonical(b), 3000);
  prop('envelopes (verifyEnvelope)', decoderInput(envelopes, { v: 3 }), (b) => verifyEnvelope(b, backend));
  prop('envelope headers (decodeHeader)', decoderInput(envelopes, { v: 2 }), (b) => decodeHeader(b));
  prop('address records (verifyAddressRecord)', decoderInput(addressRecords, { v: 2 }), (b) =>
    verifyAddressRecord(b, backend),
  );
  prop('friend lists (verifyFriendList)', decoderInput(friendLists, { v: 1 }), (b) =>
    verifyFriendList(b, backend),
  );
  prop('relay lists (verifyRelayList)', decoderInput(relayLists, { v: 1 }), (b) =>
    verifyRelayList(b, backend),
  );
  prop('delivery receipts (openReceipt, verifyReceipt)', decoderInput(receipts, { v: 2 }), (b) => {
    decodesOrRefuses((x: Uint8Array) => verifyReceipt(x, backend), b);
    return openReceipt(b, backend);
  });
  prop('storage receipts (verifyStorageReceipt)', decoderInput(storageReceipts, { v: 1 }), (b) =>
    verifyStorageReceipt(b, backend),
  );
  prop('archive friend bundle (FriendBundleFormat)', decoderInput(friendBundles, { v: 1 }), (b) =>
    FriendBundleFormat.decode(b),
  );
  prop('archive history index (decodeHistoryIndex)', decoderInput(historyIndexes, { v: 2 }), (b) =>
    decodeHistoryIndex(b),
  );
  prop(
    'identity logs (verifyLog)',
    fc.array(decoderInput([genesisEntry], { v: 1 }), { minLength: 1, maxLength: 3 }),
    (entries) => verifyLog(entries, backend),
    300,
  );
  prop('chat messages (verifyChatMessage)', decoderInput(envelopes, { v: 1 }), (b) =>
    verifyChatMessage(b, backend),
  );
  prop('conversation events (openEvent)', decoderInput(envelopes, { v: 1 }), (b) => openEvent(b, backend));
  prop('conversation genesis (openGenesis)', decoderInput(envelopes, { v: 1 }), (b) =>
    openGenesis(b, () => true, backend),
  );
  prop('conversation outcomes (openOutcome)', decoderInput(envelopes, { v: 1 }), (b) =>
    openOutcome(b, backend),
  );
  prop('ids typed by a person (parseId)', fc.string({ maxLength: 64 }), (s) => parseId(s));

  for (const m of messages) {
    prop(
      `wire message ${m.type} v${m.version}`,
      decoderInput(envelopes, { v: m.version, t: m.type }),
      (b) => m.decode(b),
      300,
    );
  }
  prop(
    'wire dispatch (decodeMessage over every message)',
    fc.oneof(rawBytes(), ...messages.map((m) => decoderInput(envelopes, { v: m.version, t: m.type }))),
    (b) => decodeMessage(b, messages),
    2000,
  );
  it('found every wire message', () => {
    if (messages.length < 20) throw new Error(`only ${messages.length} wire messages found`);
  });
  void mutationsOf;
});
