/**
 * The caps on unconfirmed peer-port connections are settings (KITH_PEER_MAX_UNCONFIRMED and
 * KITH_PEER_MAX_UNCONFIRMED_PER_SOURCE, docs/SECURITY.md "Strangers"); connection-caps.test.ts
 * shows what the listener does with them.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { linkLimitsFromConfig } from '../../src/link/limits-from-config.ts';
import { DEFAULT_LINK_LIMITS } from '../../src/link/options.ts';

const base = { KITH_DATA: '/tmp/kith-limits', KITH_HOST: '127.0.0.1' };

describe('peer-port caps from the configuration', () => {
  it('default to the link defaults', () => {
    expect(linkLimitsFromConfig(parseConfig({ env: base }))).toEqual({
      maxUnconfirmed: DEFAULT_LINK_LIMITS.maxUnconfirmed,
      maxUnconfirmedPerSource: DEFAULT_LINK_LIMITS.maxUnconfirmedPerSource,
    });
  });

  it('take the variables', () => {
    const config = parseConfig({
      env: { ...base, KITH_PEER_MAX_UNCONFIRMED: '40', KITH_PEER_MAX_UNCONFIRMED_PER_SOURCE: '2' },
    });
    expect(linkLimitsFromConfig(config)).toEqual({ maxUnconfirmed: 40, maxUnconfirmedPerSource: 2 });
  });

  it('refuse a cap of 0 or a word, naming the variable', () => {
    for (const [name, value] of [
      ['KITH_PEER_MAX_UNCONFIRMED', '0'],
      ['KITH_PEER_MAX_UNCONFIRMED_PER_SOURCE', 'many'],
    ] as const) {
      expect(() => parseConfig({ env: { ...base, [name]: value } })).toThrow(name);
    }
  });
});
