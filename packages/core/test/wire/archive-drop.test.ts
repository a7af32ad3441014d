import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/codec.ts';
import { fromHex, toHex } from '../../src/crypto/index.ts';
import { ArchiveDropMessage, ArchiveDroppedMessage } from '../../src/wire/archive-drop.ts';
import { announcedFeatures, FEATURES, featureMarks } from '../../src/wire/features.ts';
import { HeartbeatMessage } from '../../src/wire/heartbeat.ts';
import { decodeMessage } from '../../src/wire/message.ts';
import fixture from '../vectors/kith-archive-drop-messages.json' with { type: 'json' };
import { codeOf } from '../helpers/code-of.ts';

/** The fixture's values with `{ hex }` turned back into bytes. */
function decoded(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decoded);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.hex === 'string' && Object.keys(o).length === 1) return fromHex(o.hex);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decoded(x)]));
  }
  return v;
}

describe('archive-drop messages and feature marks', () => {
  it('the v1 fixtures still decode to their values and encode to their bytes', () => {
    for (const [name, def] of [
      ['archive-drop', ArchiveDropMessage],
      ['archive-dropped', ArchiveDroppedMessage],
      ['heartbeat-with-feature', HeartbeatMessage],
    ] as const) {
      const { value, bytes } = fixture[name];
      expect(decodeMessage(fromHex(bytes), [def])).toEqual(decoded(value));
      expect(toHex(def.encode(decoded(value) as never))).toBe(bytes);
    }
  });

  it('refuses no blob, more than 64, a blob id that is not 32 bytes, and extra fields', () => {
    const value = decoded(fixture['archive-drop'].value) as Record<string, unknown>;
    const bad = (extra: Record<string, unknown>) =>
      codeOf(() => ArchiveDropMessage.decode(encodeCanonical({ ...value, ...extra } as never)));
    expect(bad({ blobs: [] })).toBe('CODEC_SCHEMA');
    expect(bad({ blobs: Array.from({ length: 65 }, () => new Uint8Array(32)) })).toBe('CODEC_SCHEMA');
    expect(bad({ blobs: [new Uint8Array(31)] })).toBe('CODEC_SCHEMA');
    expect(bad({ extra: 1 })).toBe('CODEC_SCHEMA');
    expect(ArchiveDropMessage.decode(encodeCanonical(value as never)).blobs).toHaveLength(2);
  });

  it('a node without the message refuses it (so it is sent only to peers that announce it)', () => {
    const bytes = fromHex(fixture['archive-drop'].bytes);
    expect(codeOf(() => decodeMessage(bytes, [HeartbeatMessage, ArchiveDroppedMessage]))).toBe(
      'CODEC_SCHEMA',
    );
  });

  it('the marks ride in the heartbeat of v1 unchanged, and are read back', () => {
    expect(featureMarks()).toEqual([{ device: '+archive-drop', seq: 1 }]);
    expect(FEATURES).toContain('archive-drop');
    const hb = decodeMessage(fromHex(fixture['heartbeat-with-feature'].bytes), [HeartbeatMessage]);
    expect(announcedFeatures(hb.versions)).toEqual(['archive-drop']);
    expect(announcedFeatures([{ device: 'abcde-fghjk-mnpqr-stvwx-yz012' }, { device: '+later' }])).toEqual([
      'later',
    ]);
  });
});
