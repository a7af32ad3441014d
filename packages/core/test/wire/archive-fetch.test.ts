/** Archive retrieval messages: round-trips through their encoders and the dispatcher, strictness. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/codec.ts';
import {
  ArchiveFetchedMessage,
  ArchiveFetchMessage,
  ArchiveFetchRefusedMessage,
} from '../../src/wire/archive-fetch.ts';
import { ArchiveIndexPutMessage } from '../../src/wire/archive-index.ts';
import { decodeMessage } from '../../src/wire/message.ts';
import { codeOf } from '../helpers/code-of.ts';

const ALL = [
  ArchiveFetchMessage,
  ArchiveFetchedMessage,
  ArchiveFetchRefusedMessage,
  ArchiveIndexPutMessage,
] as const;
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const user = fc.string({ minLength: 1, maxLength: 29 });
const indexName = fc.constantFrom('active' as const, 'conversations' as const);

const arbitraries = [
  fc.record(
    {
      v: fc.constant(1),
      t: fc.constant('archive-fetch' as const),
      requestId: bytes(16),
      owner: user,
      blob: bytes(32),
      index: indexName,
      rewrap: fc.boolean(),
    },
    { requiredKeys: ['v', 't', 'requestId', 'owner', 'rewrap'] },
  ),
  fc.record(
    {
      v: fc.constant(1),
      t: fc.constant('archive-fetched' as const),
      requestId: bytes(16),
      blob: bytes(32),
      kind: fc.constantFrom('current' as const, 'history' as const, 'index' as const),
      ciphertext: fc.uint8Array({ maxLength: 500 }),
      version: fc.integer({ min: 1, max: 2 ** 40 }),
      share: fc.uint8Array({ maxLength: 100 }),
    },
    { requiredKeys: ['v', 't', 'requestId', 'blob', 'kind', 'ciphertext'] },
  ),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('archive-fetch-refused' as const),
    requestId: bytes(16),
    code: fc.string({ maxLength: 64 }),
  }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('archive-index-put' as const),
    owner: user,
    name: indexName,
    version: fc.integer({ min: 1, max: 2 ** 40 }),
    ciphertext: fc.uint8Array({ maxLength: 500 }),
  }),
];

describe('archive retrieval messages', () => {
  it('round-trip through their encoders and the dispatcher (property)', () => {
    fc.assert(
      fc.property(fc.oneof(...arbitraries), (message) => {
        const def = ALL.find((d) => d.type === message.t)!;
        // biome-ignore lint/suspicious/noExplicitAny: the arbitrary matches the definition picked by t
        const encoded = def.encode(message as any);
        expect(decodeMessage(encoded, ALL)).toEqual(message);
      }),
      { numRuns: 300 },
    );
  });

  it('refuse short ids, unknown index names, version 0 and extra fields', () => {
    const fetch = { v: 1, t: 'archive-fetch', requestId: new Uint8Array(16), owner: 'u', rewrap: false };
    expect(codeOf(() => decodeMessage(encodeCanonical(fetch), ALL))).toBeUndefined();
    expect(
      codeOf(() => decodeMessage(encodeCanonical({ ...fetch, requestId: new Uint8Array(8) }), ALL)),
    ).toBe('CODEC_SCHEMA');
    expect(codeOf(() => decodeMessage(encodeCanonical({ ...fetch, index: 'secrets' }), ALL))).toBe(
      'CODEC_SCHEMA',
    );
    expect(codeOf(() => decodeMessage(encodeCanonical({ ...fetch, extra: 1 }), ALL))).toBe('CODEC_SCHEMA');
    const put = {
      v: 1,
      t: 'archive-index-put',
      owner: 'u',
      name: 'active',
      version: 0,
      ciphertext: new Uint8Array(1),
    };
    expect(codeOf(() => decodeMessage(encodeCanonical(put), ALL))).toBe('CODEC_SCHEMA');
  });
});
