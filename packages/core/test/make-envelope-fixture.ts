/**
 * Writes vectors/kith-envelope-header-v{1,2,3}.json. Run once per header version:
 *   node --import tsx packages/core/test/make-envelope-fixture.ts v3
 * (v1 and v2 are sealed with the test helper that writes those retired versions.)
 * A committed fixture is never regenerated in place (formats are versioned): the argument names
 * the one file to write, and an existing file is not overwritten.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex, utf8 } from '../src/crypto/bytes.ts';
import { nobleBackend } from '../src/crypto/index.ts';
import { envelopeId, sealEnvelope } from '../src/envelope.ts';
import { sealLegacyEnvelope } from './helpers/envelope-forgery.ts';
import { seededRandom } from './helpers/seeded-random.ts';

const keyRandom = seededRandom('kith envelope fixture keys');
const keys = Array.from({ length: 3 }, () => {
  const privateKey = keyRandom(32);
  return { privateKey, publicKey: nobleBackend.x25519PublicKey(privateKey) };
});
const senderSeed = keyRandom(32);
const sender = { seed: senderSeed, publicKey: nobleBackend.ed25519PublicKey(senderSeed) };

interface Case {
  name: string;
  /** Key indexes per recipient (v1) or per group (v2). */
  recipients?: number[];
  groups?: number[][];
  t: number;
  /** Sealing with seededRandom(seed) gives exactly these bytes (no Shamir split: t = 1). */
  reproducible: boolean;
  opens: number[][];
  fails: { keys: number[]; code: string }[];
}

const cases: Record<'v1' | 'v2' | 'v3', Case[]> = {
  v1: [
    {
      name: 't1',
      recipients: [0, 1],
      t: 1,
      reproducible: true,
      opens: [[0], [1]],
      fails: [{ keys: [2], code: 'ENVELOPE_WRONG_KEY' }],
    },
    {
      name: 't2-of-3',
      recipients: [0, 1, 2],
      t: 2,
      reproducible: false,
      opens: [
        [0, 1],
        [0, 2],
        [1, 2],
      ],
      fails: [{ keys: [1], code: 'ENVELOPE_TOO_FEW_SHARES' }],
    },
  ],
  v2: [
    {
      name: 'one-group-t1',
      groups: [[0, 1]],
      t: 1,
      reproducible: true,
      opens: [[0], [1]],
      fails: [{ keys: [2], code: 'ENVELOPE_WRONG_KEY' }],
    },
    {
      name: 'two-groups-2-of-2',
      groups: [[0, 1], [2]],
      t: 2,
      reproducible: false,
      opens: [
        [0, 2],
        [1, 2],
      ],
      fails: [
        { keys: [0, 1], code: 'ENVELOPE_TOO_FEW_SHARES' },
        { keys: [2], code: 'ENVELOPE_TOO_FEW_SHARES' },
      ],
    },
    {
      name: 'three-groups-2-of-3',
      groups: [[0], [1], [2]],
      t: 2,
      reproducible: false,
      opens: [
        [0, 1],
        [0, 2],
        [1, 2],
      ],
      fails: [{ keys: [0], code: 'ENVELOPE_TOO_FEW_SHARES' }],
    },
  ],
  v3: [
    {
      name: 'one-group-t1',
      groups: [[0, 1]],
      t: 1,
      reproducible: true,
      opens: [[0], [1]],
      fails: [{ keys: [2], code: 'ENVELOPE_WRONG_KEY' }],
    },
    {
      name: 'recipients-t1',
      groups: [[0], [1]],
      t: 1,
      reproducible: true,
      opens: [[0], [1]],
      fails: [{ keys: [2], code: 'ENVELOPE_WRONG_KEY' }],
    },
    {
      name: 'two-groups-2-of-2',
      groups: [[0, 1], [2]],
      t: 2,
      reproducible: false,
      opens: [
        [0, 2],
        [1, 2],
      ],
      fails: [
        { keys: [0, 1], code: 'ENVELOPE_TOO_FEW_SHARES' },
        { keys: [2], code: 'ENVELOPE_TOO_FEW_SHARES' },
      ],
    },
    {
      name: 'three-groups-2-of-3',
      groups: [[0], [1], [2]],
      t: 2,
      reproducible: false,
      opens: [
        [0, 1],
        [0, 2],
        [1, 2],
      ],
      fails: [{ keys: [0], code: 'ENVELOPE_TOO_FEW_SHARES' }],
    },
  ],
};

const arg = process.argv[2];
const which = arg === 'v1' || arg === 'v2' || arg === 'v3' ? arg : undefined;
if (!which) throw new Error('usage: make-envelope-fixture.ts v1|v2|v3');
const file = join(import.meta.dirname, 'vectors', `kith-envelope-header-${which}.json`);
if (existsSync(file)) throw new Error(`${file} exists; fixtures are never regenerated in place`);

const out = {
  keys: keys.map((k) => ({ privateKey: toHex(k.privateKey), publicKey: toHex(k.publicKey) })),
  senderSeed: toHex(senderSeed),
  cases: [] as object[],
};
for (const c of cases[which]) {
  const seed = `kith envelope ${which} ${c.name}`;
  const plaintext = utf8.encode(`Kith envelope header ${which}, case ${c.name}.`);
  const meta = utf8.encode('meta');
  const common = {
    kind: 'fixture',
    plaintext,
    meta,
    sender,
    createdAt: 1_767_225_600_000,
    threshold: c.t,
    random: seededRandom(seed),
    backend: nobleBackend,
  };
  const shareGroups = c.groups?.map((g) => g.map((i) => keys[i]!.publicKey));
  const bytes =
    which === 'v3'
      ? await sealEnvelope({ ...common, shareGroups: shareGroups! })
      : shareGroups
        ? await sealLegacyEnvelope({ ...common, shareGroups })
        : await sealLegacyEnvelope({ ...common, recipients: c.recipients!.map((i) => keys[i]!.publicKey) });
  out.cases.push({
    ...c,
    seed,
    kind: common.kind,
    createdAt: common.createdAt,
    meta: toHex(meta),
    plaintext: toHex(plaintext),
    envelope: toHex(bytes),
    id: toHex(envelopeId(bytes, nobleBackend)),
  });
}
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${file}`);
