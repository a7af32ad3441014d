import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/codec.ts';
import { fromHex, toHex } from '../../src/crypto/index.ts';
import { decodeMessage } from '../../src/wire/message.ts';
import { PunchMessage } from '../../src/wire/punch.ts';
import { PunchInviteMessage } from '../../src/wire/punch-invite.ts';
import { PunchRequestMessage } from '../../src/wire/punch-request.ts';
import fixture from '../vectors/kith-punch-messages.json' with { type: 'json' };
import { codeOf } from '../helpers/code-of.ts';

const ALL = [PunchRequestMessage, PunchInviteMessage, PunchMessage] as const;
const withId = (v: Record<string, unknown>) => ({ ...v, id: fromHex(v.id as string) });

describe('hole-punch messages', () => {
  it('the v1 fixtures still decode to their values and encode to their bytes', () => {
    for (const def of ALL) {
      const { value, bytes } = fixture[def.type];
      const decoded = decodeMessage(fromHex(bytes), ALL);
      expect(decoded).toEqual(withId(value));
      expect(toHex(def.encode(withId(value) as never))).toBe(bytes);
    }
  });

  it('refuses a short id, a low port, a host name, a bad device id and extra fields', () => {
    const punch = withId(fixture.punch.value);
    const bad = (extra: Record<string, unknown>) =>
      codeOf(() => PunchMessage.decode(encodeCanonical({ ...punch, ...extra })));
    expect(PunchMessage.decode(encodeCanonical(punch)).port).toBe(40517);
    expect(bad({ id: new Uint8Array(15) })).toBe('CODEC_SCHEMA');
    expect(bad({ port: 80 })).toBe('CODEC_SCHEMA');
    // A coordinator names an address it saw, never a name for us to resolve.
    expect(bad({ host: 'evil.example' })).toBe('CODEC_SCHEMA');
    expect(bad({ peer: 'not-a-device' })).toBe('CODEC_SCHEMA');
    expect(bad({ extra: 1 })).toBe('CODEC_SCHEMA');
    const request = withId(fixture['punch-request'].value);
    expect(codeOf(() => PunchRequestMessage.decode(encodeCanonical({ ...request, port: 70000 })))).toBe(
      'CODEC_SCHEMA',
    );
    expect(codeOf(() => PunchInviteMessage.decode(encodeCanonical({ ...request, t: 'punch-invite' })))).toBe(
      'CODEC_SCHEMA',
    );
  });
});
