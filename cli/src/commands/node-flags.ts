import type { ConfigFlags } from '@kith/agent/config';
import type { FlagSpecs, Parsed } from '../args.ts';

/** Flags shared by `kith up` and `kith agent` (docs/DESIGN.md §12); values are checked by the config schema. */
export const NODE_FLAGS: FlagSpecs = {
  host: { kind: 'string', description: 'address the peer port and web UI bind (KITH_HOST)' },
  'peer-port': { kind: 'string', description: 'peer port (KITH_PEER_PORT, default 7470)' },
  'api-port': { kind: 'string', description: 'local API port, loopback only (KITH_API_PORT, default 7471)' },
  'api-host': { kind: 'string', description: 'local API address, a loopback address (KITH_API_HOST)' },
  'web-port': { kind: 'string', description: 'web UI port (KITH_WEB_PORT, default 7480)' },
  'heartbeat-mean-ms': { kind: 'string', description: 'mean heartbeat interval (KITH_HEARTBEAT_MEAN_MS)' },
  'log-level': { kind: 'string', description: 'fatal…trace or silent (KITH_LOG_LEVEL)' },
  relay: { kind: 'string', description: 'on/off: hold friends’ ciphertext (KITH_RELAY)' },
  'passphrase-file': { kind: 'string', description: 'unlock passphrase file (KITH_PASSPHRASE_FILE)' },
  'port-windows': {
    kind: 'string',
    description: 'on/off: peer port open only in windows friends can compute (KITH_PORT_WINDOWS, default on)',
  },
  'port-mapping': {
    kind: 'string',
    description:
      'on/off: ask the home router (NAT-PMP, UPnP) to forward the peer port (KITH_PORT_MAPPING, default on)',
  },
  'window-period-ms': {
    kind: 'string',
    description: 'port window period (KITH_WINDOW_PERIOD_MS, default 60000)',
  },
  'window-open-ms': { kind: 'string', description: 'port window length (KITH_WINDOW_OPEN_MS, default 5000)' },
  setup: {
    kind: 'string',
    description: 'no identity yet: off = create one now; web = wait for the owner in the web UI (KITH_SETUP)',
  },
  'phrase-out': {
    kind: 'string',
    description: 'first start without a terminal: write the new seed phrase here, 0600 (KITH_PHRASE_OUT)',
  },
};

export function nodeFlags(args: Parsed, dataDir: string): ConfigFlags {
  const s = (name: string) =>
    typeof args.flags[name] === 'string' ? (args.flags[name] as string) : undefined;
  return {
    data: dataDir,
    host: s('host'),
    peerPort: s('peer-port'),
    apiPort: s('api-port'),
    apiHost: s('api-host'),
    webPort: s('web-port'),
    heartbeatMeanMs: s('heartbeat-mean-ms'),
    logLevel: s('log-level'),
    relay: s('relay'),
    passphraseFile: s('passphrase-file'),
    phraseOut: s('phrase-out'),
    portWindows: s('port-windows'),
    portMapping: s('port-mapping'),
    windowPeriodMs: s('window-period-ms'),
    windowOpenMs: s('window-open-ms'),
    setup: s('setup'),
  };
}
