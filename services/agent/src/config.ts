import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { KithError } from '@kith/core/errors';
import Type, { type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import {
  asAddressList,
  asBoolean,
  asBytes,
  asInteger,
  asString,
  BOOL_EXPECTED,
  BYTES_EXPECTED,
  PORT_EXPECTED,
} from './config-values.ts';
import { LOG_LEVELS } from './logger.ts';

/**
 * The agent's one typed configuration (docs/DESIGN.md §10, §12), parsed once at boot from the
 * environment and command-line flags (a flag beats its variable). Every variable is listed in
 * `.env.example` with its meaning; a test keeps the two in step.
 */

const Port = Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port; 0 picks a free one.' });
const Host = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:%_\\-]+$' });
const Bytes = Type.Integer({ minimum: 0, description: 'A size in bytes.' });

export const AgentConfigSchema = Type.Object({
  /** Absolute path of the data directory (keys, api-token, PGlite database). */
  dataDir: Type.String({ minLength: 1 }),
  /** Address the peer port and the web UI bind. */
  host: Host,
  /** Address the local API binds: a loopback address unless `apiNetwork` allows a private network. */
  apiHost: Host,
  /** Allows a non-loopback `apiHost` (a private container network; the token still guards it). */
  apiNetwork: Type.Boolean(),
  /** Directory where the API's URL and token are also written for other containers (absolute path). */
  apiShareDir: Type.Optional(Type.String({ minLength: 1 })),
  /** The URL written to `apiShareDir/api.json` (default: the URL the API listens at). */
  apiShareUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** host:port addresses invites and address records carry instead of the bound ones. */
  announce: Type.Optional(Type.Array(Type.String({ minLength: 3, maxLength: 260 }), { maxItems: 8 })),
  peerPort: Port,
  apiPort: Port,
  webPort: Port,
  /** The URL people open the web UI at, when it differs from what it binds (a container's published port). */
  webUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Mean of the random heartbeat interval (docs/DESIGN.md §6). */
  heartbeatMeanMs: Type.Integer({ minimum: 50, maximum: 3_600_000 }),
  /** Postgres URL; PGlite in DATA/db when absent. */
  databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** PGlite in a worker thread of its own (db/pglite-worker.ts), or on the agent's thread. */
  pgliteWorker: Type.Boolean(),
  logLevel: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l))),
  relay: Type.Object({
    /** Act as an archive relay for friends (hold their ciphertext). */
    enabled: Type.Boolean(),
    /** Ceiling on all ciphertext held for friends. */
    quotaBytes: Bytes,
    /** Ceiling per friend (user). */
    userQuotaBytes: Bytes,
    /** Most items held per friend (user). */
    userQuotaItems: Type.Integer({ minimum: 1 }),
  }),
  /** Bytes of items one friend may have this device store per day (docs/SECURITY.md "Relay quotas"). */
  friendMessageBytesPerDay: Bytes,
  /** File holding the passphrase that unlocks the keys at start (absolute path). */
  passphraseFile: Type.Optional(Type.String({ minLength: 1 })),
  /** Where a new identity's seed phrase goes on first start without a terminal (absolute path). */
  phraseOut: Type.Optional(Type.String({ minLength: 1 })),
  /** A data dir without an identity: `off` creates one at start; `web` waits for the owner in the web UI. */
  setup: Type.Union([Type.Literal('off'), Type.Literal('web')]),
  /** Consensus worker timing (docs/CONSENSUS.md "The consensus worker"); built-in defaults when unset. */
  consensusPollMs: Type.Optional(Type.Integer({ minimum: 1 })),
  consensusFallbackMs: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Days without activity after which a conversation moves to history (default 30; docs/DESIGN.md §5). */
  archiveHistoryAfterDays: Type.Optional(Type.Number({ minimum: 0, maximum: 36_500 })),
  /** Home-router port mapping by NAT-PMP or UPnP (docs/PROTOCOL.md "Home routers"). */
  portMapping: Type.Boolean(),
  /** Peer-port connections not yet confirmed as links, in all and per IP address (docs/SECURITY.md "Strangers"). */
  peerMaxUnconfirmed: Type.Integer({ minimum: 1, maximum: 65_536 }),
  peerMaxUnconfirmedPerSource: Type.Integer({ minimum: 1, maximum: 65_536 }),
  /** Port windows (docs/PROTOCOL.md "Port windows"): the peer port listens only inside them. */
  portWindows: Type.Object({
    enabled: Type.Boolean(),
    periodMs: Type.Integer({ minimum: 1_000, maximum: 86_400_000 }),
    openMs: Type.Integer({ minimum: 100, maximum: 86_400_000 }),
  }),
});
export type AgentConfig = Static<typeof AgentConfigSchema>;

/** Flags as the CLI parsed them (`--peer-port 7470` -> `{ peerPort: '7470' }`). */
export type ConfigFlagName =
  | 'data'
  | 'host'
  | 'apiHost'
  | 'peerPort'
  | 'apiPort'
  | 'webPort'
  | 'heartbeatMeanMs'
  | 'logLevel'
  | 'relay'
  | 'passphraseFile'
  | 'phraseOut'
  | 'portWindows'
  | 'portMapping'
  | 'windowPeriodMs'
  | 'windowOpenMs'
  | 'setup';
export type ConfigFlags = Partial<Record<ConfigFlagName, string | number | boolean | undefined>>;

export interface ConfigVariable {
  env: string;
  /** camelCase flag name; the CLI spells it `--kebab-case`. */
  flag?: ConfigFlagName;
  /** Documented default, in the form it is written in the environment. */
  default?: string;
  /** What a valid value looks like, for the error sentence. */
  expected: string;
  meaning: string;
  /** Never repeat the value in an error (it may hold a password). */
  secret?: boolean;
  schema: TSchema;
  parse: (raw: string) => unknown;
}

/** Every setting, in the order `.env.example` lists them. */
export const CONFIG_VARIABLES = {
  dataDir: {
    env: 'KITH_DATA',
    flag: 'data',
    default: './data',
    expected: 'a directory path',
    meaning: 'Data directory: keys, API token and the embedded database.',
    schema: Type.String({ minLength: 1 }),
    parse: asString,
  },
  host: {
    env: 'KITH_HOST',
    flag: 'host',
    default: '0.0.0.0',
    expected: 'an IP address or host name to bind',
    meaning:
      'Address the peer port and the web UI bind. The local API binds it too when it is a loopback address, else 127.0.0.1.',
    schema: Host,
    parse: asString,
  },
  apiHost: {
    env: 'KITH_API_HOST',
    flag: 'apiHost',
    expected:
      'a loopback address (127.x.x.x, ::1 or localhost): the local API is never exposed (unless KITH_API_NETWORK=on)',
    meaning: 'Address of the local API. Default: KITH_HOST if that is loopback, else 127.0.0.1.',
    schema: Host,
    parse: asString,
  },
  apiNetwork: {
    env: 'KITH_API_NETWORK',
    default: 'off',
    expected: BOOL_EXPECTED,
    meaning:
      'Let KITH_API_HOST be a non-loopback address. Only for a private container network that just the ' +
      'consensus and web containers share with the agent; every route but /api/health still needs the token.',
    schema: Type.Boolean(),
    parse: asBoolean,
  },
  apiShareDir: {
    env: 'KITH_API_SHARE_DIR',
    expected: 'a directory path',
    meaning:
      'Directory where the agent also writes api.json and api-token (0600) for the containers that use ' +
      'its API; the consensus worker points its KITH_DATA at it, `kith web` reads the agent from it. ' +
      'Unset: only KITH_DATA holds them.',
    schema: Type.String({ minLength: 1 }),
    parse: asString,
  },
  apiShareUrl: {
    env: 'KITH_API_SHARE_URL',
    expected: 'an http:// URL, e.g. http://agent:7471',
    meaning: 'The API URL written into KITH_API_SHARE_DIR/api.json. Default: the address the API listens at.',
    schema: Type.String({ pattern: '^https?://[^\\s]+$' }),
    parse: (raw) => raw.replace(/\/+$/, ''),
  },
  announce: {
    env: 'KITH_ANNOUNCE',
    expected: 'host:port addresses separated by commas, e.g. kith.example.net:7470',
    meaning:
      'Where friends reach this node, when that differs from what it binds (a NAT port forward, a ' +
      'container port mapping): invites and address records carry these instead of the bound addresses.',
    schema: Type.Array(Type.String({ minLength: 3, maxLength: 260 }), { minItems: 1, maxItems: 8 }),
    parse: asAddressList,
  },
  peerPort: {
    env: 'KITH_PEER_PORT',
    flag: 'peerPort',
    default: '7470',
    expected: PORT_EXPECTED,
    meaning: 'Peer port (Noise over WebSocket), the one port published to the internet.',
    schema: Port,
    parse: asInteger,
  },
  apiPort: {
    env: 'KITH_API_PORT',
    flag: 'apiPort',
    default: '7471',
    expected: PORT_EXPECTED,
    meaning: 'Local HTTP/WebSocket API port (loopback only).',
    schema: Port,
    parse: asInteger,
  },
  webPort: {
    env: 'KITH_WEB_PORT',
    flag: 'webPort',
    default: '7480',
    expected: PORT_EXPECTED,
    meaning: 'Web UI port (reachable on the LAN).',
    schema: Port,
    parse: asInteger,
  },
  webUrl: {
    env: 'KITH_WEB_URL',
    expected: 'an http(s):// URL, e.g. https://nas.local:7480',
    meaning:
      'The address people open the web UI at, when it differs from what it binds (a container behind a ' +
      'published port): `kith web code` builds its sign-in URL on it. Default: the address it binds.',
    schema: Type.String({ pattern: '^https?://[^\\s/]+$' }),
    parse: (raw) => raw.replace(/\/+$/, ''),
  },
  portWindows: {
    env: 'KITH_PORT_WINDOWS',
    flag: 'portWindows',
    default: 'on',
    expected: BOOL_EXPECTED,
    meaning:
      'Open the peer port only inside short windows at times only friends and own devices can compute ' +
      '(docs/PROTOCOL.md "Port windows"); outside them connections are refused and links stay up. ' +
      'off: the port listens all the time (an appliance kept as an always-open relay).',
    schema: Type.Boolean(),
    parse: asBoolean,
  },
  portMapping: {
    env: 'KITH_PORT_MAPPING',
    flag: 'portMapping',
    default: 'on',
    expected: BOOL_EXPECTED,
    meaning:
      'Ask the home router (NAT-PMP, then UPnP) to forward the peer port, and advertise the address it ' +
      'gives to friends (docs/PROTOCOL.md "Home routers"); the mapping is renewed and removed at stop. ' +
      'off: no requests to the router (forward the port by hand, or set KITH_ANNOUNCE).',
    schema: Type.Boolean(),
    parse: asBoolean,
  },
  windowPeriodMs: {
    env: 'KITH_WINDOW_PERIOD_MS',
    flag: 'windowPeriodMs',
    default: '60000',
    expected: 'an integer number of milliseconds from 1000 to 86400000, above KITH_WINDOW_OPEN_MS',
    meaning: 'Port windows: one window opens at a random moment in each period of this length.',
    schema: AgentConfigSchema.properties.portWindows.properties.periodMs,
    parse: asInteger,
  },
  windowOpenMs: {
    env: 'KITH_WINDOW_OPEN_MS',
    flag: 'windowOpenMs',
    default: '5000',
    expected: 'an integer number of milliseconds from 100, below KITH_WINDOW_PERIOD_MS',
    meaning:
      'Port windows: how long each window stays open. At least 4 × the allowed clock skew (500 ms) ' +
      'plus round trips; `kith status` shows what the measured clocks call for.',
    schema: AgentConfigSchema.properties.portWindows.properties.openMs,
    parse: asInteger,
  },
  peerMaxUnconfirmed: {
    env: 'KITH_PEER_MAX_UNCONFIRMED',
    default: '256',
    expected: 'an integer from 1 to 65536',
    meaning: 'Peer-port connections not yet confirmed as links; more are closed at once, in silence.',
    schema: AgentConfigSchema.properties.peerMaxUnconfirmed,
    parse: asInteger,
  },
  peerMaxUnconfirmedPerSource: {
    env: 'KITH_PEER_MAX_UNCONFIRMED_PER_SOURCE',
    default: '8',
    expected: 'an integer from 1 to 65536',
    meaning: 'The same, from one IP address.',
    schema: AgentConfigSchema.properties.peerMaxUnconfirmedPerSource,
    parse: asInteger,
  },
  heartbeatMeanMs: {
    env: 'KITH_HEARTBEAT_MEAN_MS',
    flag: 'heartbeatMeanMs',
    default: '15000',
    expected: 'an integer number of milliseconds from 50 to 3600000',
    meaning: 'Mean interval between heartbeats to each peer; intervals are random around it.',
    schema: AgentConfigSchema.properties.heartbeatMeanMs,
    parse: asInteger,
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    expected: 'a postgres:// or postgresql:// URL',
    meaning: 'Postgres to use. Unset: embedded PGlite in KITH_DATA/db (one process at a time).',
    secret: true,
    schema: Type.String({ pattern: '^postgres(ql)?://' }),
    parse: asString,
  },
  pgliteWorker: {
    env: 'KITH_PGLITE_WORKER',
    default: 'off',
    expected: BOOL_EXPECTED,
    meaning:
      'on: run the embedded database (PGlite) in a worker thread of its own, so its work can use another ' +
      'core beside the API, the peer links and the crypto (lower latency; more CPU per message and memory, ' +
      'docs/ARCHITECTURE.md "PGlite in a worker thread"). off: on the agent\'s thread. Ignored with DATABASE_URL.',
    schema: Type.Boolean(),
    parse: asBoolean,
  },
  logLevel: {
    env: 'KITH_LOG_LEVEL',
    flag: 'logLevel',
    default: 'info',
    expected: `one of ${LOG_LEVELS.join(', ')}`,
    meaning: 'Log level; logs are JSON lines on stderr and never carry key material.',
    schema: AgentConfigSchema.properties.logLevel,
    parse: (raw) => raw.toLowerCase(),
  },
  relayEnabled: {
    env: 'KITH_RELAY',
    flag: 'relay',
    default: 'on',
    expected: BOOL_EXPECTED,
    meaning: 'Act as an archive relay for friends: store and forward their ciphertext, which it cannot read.',
    schema: Type.Boolean(),
    parse: asBoolean,
  },
  relayQuotaBytes: {
    env: 'KITH_RELAY_QUOTA_BYTES',
    default: '1GiB',
    expected: BYTES_EXPECTED,
    meaning: 'Most ciphertext held for all friends together.',
    schema: Bytes,
    parse: asBytes,
  },
  relayUserQuotaBytes: {
    env: 'KITH_RELAY_USER_QUOTA_BYTES',
    default: '256MiB',
    expected: BYTES_EXPECTED,
    meaning: 'Most ciphertext held for any one friend (all their devices).',
    schema: Bytes,
    parse: asBytes,
  },
  relayUserQuotaItems: {
    env: 'KITH_RELAY_USER_QUOTA_ITEMS',
    default: '50000',
    expected: 'a whole number above 0',
    meaning: 'Most items held for any one friend (all their devices) while their devices are offline.',
    schema: Type.Integer({ minimum: 1 }),
    parse: asInteger,
  },
  friendMessageBytesPerDay: {
    env: 'KITH_FRIEND_MESSAGE_BYTES_PER_DAY',
    default: '256MiB',
    expected: BYTES_EXPECTED,
    meaning:
      'Most bytes of messages one friend may have this device store per day; more waits in their outbox.',
    schema: Bytes,
    parse: asBytes,
  },
  passphraseFile: {
    env: 'KITH_PASSPHRASE_FILE',
    flag: 'passphraseFile',
    expected: 'a file path',
    meaning:
      'File with the passphrase that unlocks the keys at start. Unset: the node starts locked and only relays until `kith unlock` (docs/SECURITY.md "Locked relay mode").',
    schema: Type.String({ minLength: 1 }),
    parse: asString,
  },
  phraseOut: {
    env: 'KITH_PHRASE_OUT',
    flag: 'phraseOut',
    expected: 'a file path',
    meaning:
      'First start without a terminal: write the new seed phrase to this file (0600). Unset: it waits in DATA/pending-phrase until shown once.',
    schema: Type.String({ minLength: 1 }),
    parse: asString,
  },
  setup: {
    env: 'KITH_SETUP',
    flag: 'setup',
    default: 'off',
    expected: 'off or web',
    meaning:
      'A data dir without an identity. off: create one at start (the phrase is shown once, see KITH_PHRASE_OUT). ' +
      'web: start without one and wait for its owner in the web UI, who creates one, enrols this node as one of ' +
      'their devices with a device invite, or recovers with the phrase and a friend’s invite (docs/DESIGN.md "Setup mode").',
    schema: Type.Union([Type.Literal('off'), Type.Literal('web')]),
    parse: (raw) => raw.toLowerCase(),
  },
  consensusPollMs: {
    env: 'KITH_CONSENSUS_POLL_MS',
    expected: 'a whole number of milliseconds above 0',
    meaning: 'How often the consensus worker re-checks open conversations besides events and deadlines.',
    schema: Type.Integer({ minimum: 1 }),
    parse: asInteger,
  },
  consensusFallbackMs: {
    env: 'KITH_CONSENSUS_FALLBACK_MS',
    expected: 'a whole number of milliseconds above 0',
    meaning:
      'How long a member device waits for the creator to record an outcome before recording it itself.',
    schema: Type.Integer({ minimum: 1 }),
    parse: asInteger,
  },
  archiveHistoryAfterDays: {
    env: 'KITH_ARCHIVE_HISTORY_AFTER_DAYS',
    expected: 'a number of days from 0 to 36500 (fractions allowed: 0.5 is 12 hours)',
    meaning:
      'Days without a new message after which a conversation moves from current to history (default 30).',
    schema: Type.Number({ minimum: 0, maximum: 36_500 }),
    parse: (raw) => (/^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw),
  },
} as const satisfies Record<string, ConfigVariable>;

type VariableKey = keyof typeof CONFIG_VARIABLES;

export interface ParseConfigInput {
  env?: Record<string, string | undefined>;
  flags?: ConfigFlags;
  /** Base for relative paths (default: the process's working directory). */
  cwd?: string;
}

/** Parses and checks the configuration; CONFIG_INVALID names every bad setting and what it expects. */
export function parseConfig(input: ParseConfigInput = {}): AgentConfig {
  const env = input.env ?? process.env;
  const flags = input.flags ?? {};
  const cwd = input.cwd ?? process.cwd();
  const problems: string[] = [];
  const values: Partial<Record<VariableKey, unknown>> = {};

  for (const [key, v] of Object.entries(CONFIG_VARIABLES) as [VariableKey, ConfigVariable][]) {
    const fromFlag = v.flag === undefined ? undefined : flags[v.flag];
    let fromEnv = env[v.env];
    // Secrets may come as files (`DATABASE_URL_FILE=/run/secrets/db-url`), as compose secrets are.
    const fileVar = `${v.env}_FILE`;
    const file = env[fileVar];
    if ((fromEnv === undefined || fromEnv === '') && file !== undefined && file !== '') {
      try {
        fromEnv = readFileSync(resolve(cwd, file), 'utf8').replace(/\r?\n$/, '');
      } catch (e) {
        problems.push(
          `${fileVar} is "${file}", which cannot be read (${(e as NodeJS.ErrnoException).code}): expected a readable file holding ${v.expected}.`,
        );
        continue;
      }
    }
    let raw: string | undefined;
    let source: string;
    if (fromFlag !== undefined && fromFlag !== '') {
      raw = String(fromFlag);
      source = `--${kebab(v.flag!)}`;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw = fromEnv;
      source = v.env;
    } else {
      raw = v.default;
      source = v.env;
    }
    if (raw === undefined) continue;
    const value = v.parse(raw.trim());
    if (!Value.Check(v.schema, value)) {
      const what = v.secret ? `${source} is not valid` : `${source} is "${raw}"`;
      problems.push(`${what}: expected ${v.expected}.`);
      continue;
    }
    values[key] = value;
  }

  const host = values.host as string | undefined;
  let apiHost = values.apiHost as string | undefined;
  if (apiHost !== undefined && !isLoopback(apiHost) && values.apiNetwork !== true) {
    problems.push(`KITH_API_HOST is "${apiHost}": expected ${CONFIG_VARIABLES.apiHost.expected}.`);
  }
  apiHost ??= host !== undefined && isLoopback(host) ? host : '127.0.0.1';

  const ports = (['peerPort', 'apiPort', 'webPort'] as const).filter((k) => typeof values[k] === 'number');
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      const a = ports[i]!;
      const b = ports[j]!;
      if (values[a] !== 0 && values[a] === values[b]) {
        problems.push(
          `${CONFIG_VARIABLES[a].env} and ${CONFIG_VARIABLES[b].env} are both ${values[a]}: expected different ports.`,
        );
      }
    }
  }

  if (
    typeof values.windowPeriodMs === 'number' &&
    typeof values.windowOpenMs === 'number' &&
    values.windowOpenMs >= values.windowPeriodMs
  ) {
    problems.push(
      `KITH_WINDOW_OPEN_MS is ${values.windowOpenMs} and KITH_WINDOW_PERIOD_MS ${values.windowPeriodMs}: expected the window shorter than its period.`,
    );
  }

  if (problems.length > 0) throw new KithError('CONFIG_INVALID', problems.join(' '));

  const config: AgentConfig = {
    dataDir: resolve(cwd, values.dataDir as string),
    host: host!,
    apiHost,
    apiNetwork: values.apiNetwork as boolean,
    peerPort: values.peerPort as number,
    apiPort: values.apiPort as number,
    webPort: values.webPort as number,
    heartbeatMeanMs: values.heartbeatMeanMs as number,
    peerMaxUnconfirmed: values.peerMaxUnconfirmed as number,
    peerMaxUnconfirmedPerSource: values.peerMaxUnconfirmedPerSource as number,
    pgliteWorker: values.pgliteWorker as boolean,
    logLevel: values.logLevel as AgentConfig['logLevel'],
    relay: {
      enabled: values.relayEnabled as boolean,
      quotaBytes: values.relayQuotaBytes as number,
      userQuotaBytes: values.relayUserQuotaBytes as number,
      userQuotaItems: values.relayUserQuotaItems as number,
    },
    friendMessageBytesPerDay: values.friendMessageBytesPerDay as number,
    portMapping: values.portMapping as boolean,
    portWindows: {
      enabled: values.portWindows as boolean,
      periodMs: values.windowPeriodMs as number,
      openMs: values.windowOpenMs as number,
    },
    setup: values.setup as AgentConfig['setup'],
  };
  if (values.databaseUrl !== undefined) config.databaseUrl = values.databaseUrl as string;
  if (values.apiShareDir !== undefined) config.apiShareDir = resolve(cwd, values.apiShareDir as string);
  if (values.apiShareUrl !== undefined) config.apiShareUrl = values.apiShareUrl as string;
  if (values.webUrl !== undefined) config.webUrl = values.webUrl as string;
  if (values.announce !== undefined) config.announce = values.announce as string[];
  if (values.passphraseFile !== undefined)
    config.passphraseFile = resolve(cwd, values.passphraseFile as string);
  if (values.phraseOut !== undefined) config.phraseOut = resolve(cwd, values.phraseOut as string);
  if (values.consensusPollMs !== undefined) config.consensusPollMs = values.consensusPollMs as number;
  if (values.consensusFallbackMs !== undefined)
    config.consensusFallbackMs = values.consensusFallbackMs as number;
  if (values.archiveHistoryAfterDays !== undefined)
    config.archiveHistoryAfterDays = values.archiveHistoryAfterDays as number;
  // The per-variable checks above make this hold; checked again so the type is never a lie.
  if (!Value.Check(AgentConfigSchema, config)) {
    throw new KithError('INTERNAL', 'The parsed configuration does not match its schema.');
  }
  return config;
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
