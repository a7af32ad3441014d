import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/codec.ts';
import { fromHex, toHex } from '../../src/crypto/index.ts';
import { MappedLinkMessage } from '../../src/wire/mapped-link.ts';
import { decodeMessage } from '../../src/wire/message.ts';
import fixture from '../vectors/kith-mapped-link-message.json' with { type: 'json' };
import { codeOf } from '../helpers/code-of.ts';

describe('mapped-link message', () => {
  it('the v1 fixture still decodes to its value and encodes to its bytes', () => {
    const { value, bytes } = fixture['mapped-link'];
    expect(decodeMessage(fromHex(bytes), [MappedLinkMessage])).toEqual(value);
    expect(toHex(MappedLinkMessage.encode(value as never))).toBe(bytes);
  });

  it('refuses an address that is not host:port and extra fields', () => {
    const value = fixture['mapped-link'].value;
    const bad = (extra: Record<string, unknown>) =>
      codeOf(() => MappedLinkMessage.decode(encodeCanonical({ ...value, ...extra })));
    expect(MappedLinkMessage.decode(encodeCanonical(value)).external).toBe('203.0.113.7:7470');
    expect(bad({ external: '203.0.113.7' })).toBe('CODEC_SCHEMA');
    expect(bad({ external: 'x'.repeat(81) })).toBe('CODEC_SCHEMA');
    expect(bad({ extra: 1 })).toBe('CODEC_SCHEMA');
  });
});
