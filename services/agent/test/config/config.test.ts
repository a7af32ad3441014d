import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isKithError, type KithError } from '@kith/core/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, isLoopback, parseConfig } from '../../src/config.ts';

const CWD = '/srv/kith';

function configError(input: Parameters<typeof parseConfig>[0]): KithError {
  try {
    parseConfig(input);
  } catch (e) {
    if (isKithError(e, 'CONFIG_INVALID')) return e;
    throw e;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('parseConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(parseConfig({ env: {}, cwd: CWD })).toEqual({
      dataDir: '/srv/kith/data',
      host: '0.0.0.0',
      apiHost: '127.0.0.1',
      apiNetwork: false,
      peerPort: 7470,
      apiPort: 7471,
      webPort: 7480,
      heartbeatMeanMs: 15000,
      peerMaxUnconfirmed: 256,
      peerMaxUnconfirmedPerSource: 8,
      pgliteWorker: false,
      logLevel: 'info',
      relay: { enabled: true, quotaBytes: 2 ** 30, userQuotaBytes: 256 * 2 ** 20, userQuotaItems: 50_000 },
      friendMessageBytesPerDay: 256 * 2 ** 20,
      portMapping: true,
      portWindows: { enabled: true, periodMs: 60_000, openMs: 5_000 },
      setup: 'off',
    });
  });

  it('reads every variable from the environment', () => {
    const config = parseConfig({
      cwd: CWD,
      env: {
        KITH_DATA: 'node-a',
        KITH_HOST: '127.0.0.5',
        KITH_PEER_PORT: '17470',
        KITH_API_PORT: '0',
        KITH_WEB_PORT: '17480',
        KITH_HEARTBEAT_MEAN_MS: '200',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
        KITH_PGLITE_WORKER: 'on',
        KITH_LOG_LEVEL: 'DEBUG',
        KITH_RELAY: 'off',
        KITH_RELAY_QUOTA_BYTES: '500MB',
        KITH_RELAY_USER_QUOTA_BYTES: '1024',
        KITH_FRIEND_MESSAGE_BYTES_PER_DAY: '8MiB',
        KITH_PORT_WINDOWS: 'off',
        KITH_PORT_MAPPING: 'off',
        KITH_WINDOW_PERIOD_MS: '30000',
        KITH_WINDOW_OPEN_MS: '2500',
        KITH_PASSPHRASE_FILE: 'secrets/pass',
        KITH_SETUP: 'Web',
      },
    });
    expect(config).toEqual({
      dataDir: '/srv/kith/node-a',
      host: '127.0.0.5',
      apiHost: '127.0.0.5', // loopback KITH_HOST: the API follows it
      apiNetwork: false,
      peerPort: 17470,
      apiPort: 0,
      webPort: 17480,
      heartbeatMeanMs: 200,
      peerMaxUnconfirmed: 256,
      peerMaxUnconfirmedPerSource: 8,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/test',
      pgliteWorker: true,
      logLevel: 'debug',
      relay: { enabled: false, quotaBytes: 500_000_000, userQuotaBytes: 1024, userQuotaItems: 50_000 },
      friendMessageBytesPerDay: 8 * 2 ** 20,
      portMapping: false,
      portWindows: { enabled: false, periodMs: 30_000, openMs: 2_500 },
      passphraseFile: '/srv/kith/secrets/pass',
      setup: 'web',
    });
  });

  it('port windows: flags beat variables, and a window longer than its period is refused', () => {
    expect(
      parseConfig({
        env: { KITH_PORT_WINDOWS: 'on' },
        flags: { portWindows: 'off', windowPeriodMs: '4000', windowOpenMs: '400' },
        cwd: CWD,
      }).portWindows,
    ).toEqual({ enabled: false, periodMs: 4_000, openMs: 400 });
    expect(() =>
      parseConfig({ env: { KITH_WINDOW_PERIOD_MS: '2000', KITH_WINDOW_OPEN_MS: '2000' }, cwd: CWD }),
    ).toThrow(/KITH_WINDOW_OPEN_MS is 2000 and KITH_WINDOW_PERIOD_MS 2000/);
    expect(() => parseConfig({ env: { KITH_PORT_WINDOWS: 'maybe' }, cwd: CWD })).toThrow(/KITH_PORT_WINDOWS/);
  });

  it('a flag beats its variable; empty values count as unset', () => {
    const config = parseConfig({
      cwd: CWD,
      env: { KITH_PEER_PORT: '1000', KITH_DATA: '', KITH_API_PORT: '2000' },
      flags: { peerPort: 3000, data: '/var/lib/kith', apiPort: '' },
    });
    expect(config.peerPort).toBe(3000);
    expect(config.dataDir).toBe('/var/lib/kith');
    expect(config.apiPort).toBe(2000);
  });

  it('names the bad variable and what it expects', () => {
    const e = configError({ env: { KITH_PEER_PORT: 'seventy' } });
    expect(e.message).toContain('KITH_PEER_PORT is "seventy": expected an integer port from 0 to 65535');
    expect(e.status).toBe(400);
  });

  it('names the flag when the bad value came from a flag', () => {
    expect(configError({ env: {}, flags: { apiPort: 70000 } }).message).toContain('--api-port is "70000"');
  });

  it('reports every bad setting at once', () => {
    const e = configError({
      env: { KITH_RELAY: 'maybe', KITH_LOG_LEVEL: 'loud', KITH_RELAY_QUOTA_BYTES: '5 parsecs' },
    });
    expect(e.message).toContain('KITH_RELAY is "maybe": expected on or off');
    expect(e.message).toContain('KITH_LOG_LEVEL is "loud": expected one of fatal, error');
    expect(e.message).toContain('KITH_RELAY_QUOTA_BYTES is "5 parsecs"');
  });

  it('never repeats a bad DATABASE_URL (it may hold a password)', () => {
    const e = configError({ env: { DATABASE_URL: 'mysql://root:hunter2@db/kith' } });
    expect(e.message).toContain('DATABASE_URL is not valid: expected a postgres:// or postgresql:// URL');
    expect(e.message).not.toContain('hunter2');
  });

  it('keeps the local API on loopback', () => {
    expect(parseConfig({ env: { KITH_HOST: '192.168.1.10' } }).apiHost).toBe('127.0.0.1');
    expect(parseConfig({ env: { KITH_API_HOST: '::1' } }).apiHost).toBe('::1');
    expect(configError({ env: { KITH_API_HOST: '0.0.0.0' } }).message).toContain(
      'KITH_API_HOST is "0.0.0.0": expected a loopback address',
    );
  });

  it('refuses two parts on the same port (0, any free port, may repeat)', () => {
    expect(configError({ env: { KITH_WEB_PORT: '7470' } }).message).toContain(
      'KITH_PEER_PORT and KITH_WEB_PORT are both 7470',
    );
    const config = parseConfig({ env: { KITH_PEER_PORT: '0', KITH_API_PORT: '0', KITH_WEB_PORT: '0' } });
    expect([config.peerPort, config.apiPort, config.webPort]).toEqual([0, 0, 0]);
  });

  it('accepts every port number and refuses everything else (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), (port) => {
        expect(
          parseConfig({ env: { KITH_PEER_PORT: String(port), KITH_API_PORT: '0', KITH_WEB_PORT: '0' } })
            .peerPort,
        ).toBe(port);
      }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 65536 }).map(String),
          fc.integer({ max: -1 }).map(String),
          fc.string({ minLength: 1 }).filter((s) => !/^\s*\d+\s*$/.test(s) && s.trim() !== ''),
        ),
        (raw) => {
          expect(configError({ env: { KITH_PEER_PORT: raw } }).message).toContain('KITH_PEER_PORT');
        },
      ),
    );
  });

  it('reads sizes with units', () => {
    const quota = (raw: string) => parseConfig({ env: { KITH_RELAY_QUOTA_BYTES: raw } }).relay.quotaBytes;
    expect(quota('0')).toBe(0);
    expect(quota('2GiB')).toBe(2 * 2 ** 30);
    expect(quota('3 kb')).toBe(3000);
    expect(quota('10MiB')).toBe(10 * 2 ** 20);
  });

  it('reads the archive history age in days, fractions allowed; unset means the default', () => {
    const days = (raw: string) =>
      parseConfig({ env: { KITH_ARCHIVE_HISTORY_AFTER_DAYS: raw } }).archiveHistoryAfterDays;
    expect(days('')).toBeUndefined();
    expect(days('0')).toBe(0);
    expect(days('0.5')).toBe(0.5);
    expect(days('30')).toBe(30);
    for (const bad of ['-1', 'soon', '1e3', '40000'])
      expect(configError({ env: { KITH_ARCHIVE_HISTORY_AFTER_DAYS: bad } }).message).toContain(
        'KITH_ARCHIVE_HISTORY_AFTER_DAYS',
      );
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['10.0.0.1', false],
    ['::', false],
    ['example.org', false],
  ])('%s -> %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});

describe('.env.example', () => {
  const text = readFileSync(fileURLToPath(new URL('../../../../.env.example', import.meta.url)), 'utf8');

  it('documents every variable the agent reads, with its default', () => {
    for (const v of Object.values(CONFIG_VARIABLES)) {
      const line = new RegExp(`^#?\\s?${v.env}=(.*)$`, 'm').exec(text);
      expect(line, `${v.env} is missing from .env.example`).not.toBeNull();
      if ('default' in v) expect(line![1], `${v.env} default`).toBe(v.default);
      if ('flag' in v) expect(text).toContain(`--${v.flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    }
  });

  it('lists no variable the agent does not read (but those compose and the CLI read)', () => {
    const known = new Set<string>(Object.values(CONFIG_VARIABLES).map((v) => v.env));
    const [agentPart, composePart = ''] = text.split('# --- docker compose only');
    const listed = [...agentPart!.matchAll(/^#?\s?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    expect(listed.filter((n) => !known.has(n))).toEqual([]);
    const compose = readFileSync(
      fileURLToPath(new URL('../../../../docker-compose.yml', import.meta.url)),
      'utf8',
    );
    for (const [, name] of composePart.matchAll(/^#?\s?([A-Z][A-Z0-9_]+)=/gm)) {
      if (name === 'KITH_BACKUP_PASSPHRASE_FILE') continue; // read by `kith backup` / `kith restore`
      expect(compose, `${name} is not used in docker-compose.yml`).toContain(`\${${name}:-`);
    }
  });

  it('every variable docker-compose.yml passes from .env is documented', () => {
    const compose = readFileSync(
      fileURLToPath(new URL('../../../../docker-compose.yml', import.meta.url)),
      'utf8',
    );
    for (const [, name] of compose.matchAll(/\$\{([A-Z][A-Z0-9_]+):-/g)) {
      expect(text, `${name} is missing from .env.example`).toMatch(new RegExp(`^#?\\s?${name}=`, 'm'));
    }
  });

  it('reads a setting from NAME_FILE, and names the file when it cannot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kith-config-'));
    writeFileSync(join(dir, 'url'), 'postgres://kith:pw@db:5432/kith\n');
    expect(parseConfig({ env: { DATABASE_URL_FILE: join(dir, 'url') }, cwd: CWD }).databaseUrl).toBe(
      'postgres://kith:pw@db:5432/kith',
    );
    expect(() => parseConfig({ env: { DATABASE_URL_FILE: join(dir, 'missing') }, cwd: CWD })).toThrow(
      /DATABASE_URL_FILE .*cannot be read \(ENOENT\)/,
    );
  });

  it('KITH_API_NETWORK=on allows a non-loopback API address; KITH_ANNOUNCE is a host:port list', () => {
    expect(() => parseConfig({ env: { KITH_API_HOST: '0.0.0.0' }, cwd: CWD })).toThrow(/KITH_API_HOST/);
    const c = parseConfig({
      env: {
        KITH_API_HOST: '0.0.0.0',
        KITH_API_NETWORK: 'on',
        KITH_ANNOUNCE: 'kith.example.net:7470, [::1]:9',
      },
      cwd: CWD,
    });
    expect(c.apiHost).toBe('0.0.0.0');
    expect(c.announce).toEqual(['kith.example.net:7470', '[::1]:9']);
    expect(() => parseConfig({ env: { KITH_ANNOUNCE: 'no-port' }, cwd: CWD })).toThrow(/KITH_ANNOUNCE/);
  });

  it('its values parse', () => {
    const env = Object.fromEntries(
      [...text.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
    );
    expect(parseConfig({ env, cwd: CWD })).toEqual(parseConfig({ env: {}, cwd: CWD }));
  });
});
