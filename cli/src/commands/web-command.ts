/**
 * `kith web`: the web server as its own process (the compose `web` service). It finds the agent
 * through a data dir's api.json, which in compose is the agent's KITH_API_SHARE_DIR
 * (docs/ARCHITECTURE.md "The appliance").
 */
import { parseConfig } from '@kith/agent/config';
import { startMinimalWeb } from '@kith/web/server-minimal';
import type { Command } from '../command.ts';

/** Resolves on SIGTERM/SIGINT, once. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export const webCommand: Command = {
  name: 'web',
  usage: 'kith web [--data DIR] [--host H] [--web-port N]',
  summary: 'Run the web server alone (the compose `web` service): for now a page showing the agent’s health.',
  flags: {
    host: { kind: 'string', description: 'address to bind (KITH_HOST)' },
    'web-port': { kind: 'string', description: 'web port (KITH_WEB_PORT, default 7480)' },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const s = (name: string) =>
      typeof args.flags[name] === 'string' ? (args.flags[name] as string) : undefined;
    const config = parseConfig({ flags: { data: dataDir, host: s('host'), webPort: s('web-port') } });
    const web = await startMinimalWeb({ dataDir, host: config.host, port: config.webPort });
    out.note(`kith web: serving ${web.url} (agent found through ${dataDir}/api.json)`);
    await untilSignal();
    await web.close();
  },
};
