import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/codec.ts';
import { decodeMessage } from '../../src/wire/message.ts';
import { WindowKeyMessage } from '../../src/wire/window-key.ts';
import { codeOf } from '../helpers/code-of.ts';

const msg = (extra: Record<string, unknown> = {}) =>
  encodeCanonical({
    v: 1,
    t: 'window-key',
    gen: 3,
    key: new Uint8Array(32).fill(9),
    periodMs: 60_000,
    openMs: 5_000,
    ...extra,
  });

describe('window-key message', () => {
  it('round-trips, with a key or none (always open)', () => {
    const value = {
      v: 1,
      t: 'window-key' as const,
      gen: 1,
      key: new Uint8Array(32).fill(1),
      periodMs: 2_000,
      openMs: 300,
    };
    expect(decodeMessage(WindowKeyMessage.encode(value), [WindowKeyMessage])).toEqual(value);
    const open = { ...value, key: null };
    expect(decodeMessage(WindowKeyMessage.encode(open), [WindowKeyMessage])).toEqual(open);
  });

  it('refuses a short key, a period out of bounds and extra fields', () => {
    expect(WindowKeyMessage.decode(msg()).gen).toBe(3);
    expect(codeOf(() => WindowKeyMessage.decode(msg({ key: new Uint8Array(31) })))).toBe('CODEC_SCHEMA');
    expect(codeOf(() => WindowKeyMessage.decode(msg({ periodMs: 10 })))).toBe('CODEC_SCHEMA');
    expect(codeOf(() => WindowKeyMessage.decode(msg({ extra: 1 })))).toBe('CODEC_SCHEMA');
  });
});
