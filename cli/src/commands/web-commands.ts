/**
 * The web UI from the command line (docs/API.md "Web UI sessions"): `kith web` runs the web
 * part alone (the compose `web` service), `kith web code` mints a one-time sign-in code and the
 * URL that signs in when opened. `kith up` starts the web part in its own process (startWebPart).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '@kith/agent/config';
import { KithError } from '@kith/core/errors';
import {
  agentFromDataDir,
  fixedAgent,
  type RunningWebServer,
  startWebServer,
  WEB_INFO_FILE,
  type WebInfo,
} from '@kith/web/index';
import { connectAgent } from '@kith/api/locate-agent';
import type { Command } from '../command.ts';
import type { Output } from '../io.ts';
import { NODE_FLAGS, nodeFlags } from './node-flags.ts';
import type { WebAgent } from './run-node.ts';

export interface SignInCode {
  code: string;
  url: string;
  expiresAt: string;
  fingerprint: string | null;
}

/** The sign-in URL carries the code in its fragment: it never reaches a server log or a Referer. */
export function signInUrl(base: string, code: string): string {
  return `${base}/#/signin/${code}`;
}

function describeCode(c: SignInCode): string {
  return (
    `Open ${c.url} to sign in (or type the code ${c.code}); it works once, until ${c.expiresAt}.` +
    (c.fingerprint
      ? `\nThe page uses a self-signed certificate; its SHA-256 fingerprint is\n  ${c.fingerprint}\n` +
        'Check that the browser shows the same before you accept it.'
      : '')
  );
}

async function readWebInfo(dataDir: string): Promise<WebInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, WEB_INFO_FILE), 'utf8')) as WebInfo;
  } catch {
    return undefined;
  }
}

/**
 * Where the sign-in URL points: KITH_WEB_URL when set (a container's web UI is opened at the
 * NAS's address, not the one it binds), else the URL the running web part wrote in web.json.
 */
export async function webBase(dataDir: string, webUrl: string | undefined): Promise<SignInBase> {
  const web = await readWebInfo(dataDir);
  const url = webUrl ?? web?.url;
  if (url === undefined) {
    throw new KithError(
      'AGENT_NOT_RUNNING',
      'The web UI is not running for this data directory: start `kith up` or `kith web`, or set KITH_WEB_URL.',
    );
  }
  return { url, fingerprint: web?.fingerprint ?? null };
}

interface SignInBase {
  url: string;
  fingerprint: string | null;
}

export const webCodeCommand: Command = {
  name: 'web code',
  usage: 'kith web code [--json]',
  summary: 'A one-time sign-in code for the web UI and a URL that signs in when opened.',
  flags: {},
  maxPositionals: 0,
  async run({ dataDir, out }) {
    // In compose (`docker compose exec web kith web code`) the agent is found in the shared API
    // folder (KITH_API_SHARE_DIR), the web part's web.json in the web container's own KITH_DATA.
    const config = parseConfig({ flags: { data: dataDir } });
    const agent = await connectAgent(config.apiShareDir ?? dataDir);
    const web = await webBase(dataDir, config.webUrl);
    const { code, expiresAt } = await agent.createWebCode({ body: {} });
    const result: SignInCode = {
      code,
      url: signInUrl(web.url, code),
      expiresAt,
      fingerprint: web.fingerprint,
    };
    out.result(result, describeCode(result));
  },
};

/** Starts the web part beside a running node (`kith up`); a first start also prints a code. */
export async function startWebPart(running: WebAgent, out: Output): Promise<RunningWebServer | undefined> {
  const { config, agent } = running;
  let web: RunningWebServer;
  try {
    web = await startWebServer({
      host: config.host,
      port: config.webPort,
      dataDir: config.dataDir,
      agent: fixedAgent({ url: agent.apiUrl!, token: agent.apiToken }),
      warn: (m) => out.note(m),
    });
  } catch (e) {
    // The node still serves its friends; the UI is what is missing, and the person is told.
    out.note(`kith: the web UI did not start: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  out.note(`      web UI ${web.url}`);
  await printFirstCode(config.dataDir, { url: config.webUrl ?? web.url, fingerprint: web.fingerprint }, out);
  return web;
}

/** Until someone has signed in, every start prints a fresh code (the appliance's first start). */
async function printFirstCode(agentDir: string, web: SignInBase, out: Output): Promise<void> {
  try {
    const agent = await connectAgent(agentDir);
    const sessions = await agent.webSessions();
    if (sessions.length > 0) return;
    const { code, expiresAt } = await agent.createWebCode({ body: {} });
    out.note(describeCode({ code, url: signInUrl(web.url, code), expiresAt, fingerprint: web.fingerprint }));
  } catch (e) {
    out.note(
      `kith: no sign-in code now (${e instanceof Error ? e.message : String(e)}); run \`kith web code\`.`,
    );
  }
}

export const webCommand: Command = {
  name: 'web',
  usage: 'kith web [--host H] [--web-port N]',
  summary: 'Run the web UI alone (the compose `web` service), talking to the agent of the data dir.',
  flags: { host: NODE_FLAGS.host!, 'web-port': NODE_FLAGS['web-port']! },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const config = parseConfig({ flags: nodeFlags(args, dataDir) });
    const web = await startWebServer({
      host: config.host,
      port: config.webPort,
      dataDir: config.dataDir,
      // In compose the agent shares its URL and token in KITH_API_SHARE_DIR (read-only here).
      agent: agentFromDataDir(config.apiShareDir ?? config.dataDir),
      warn: (m) => out.note(m),
    });
    const url = config.webUrl ?? web.url;
    out.note(
      `kith: web UI ${url}${web.fingerprint ? ` (certificate ${web.fingerprint})` : ''}. Stop with Ctrl-C.`,
    );
    // The appliance's first start: the code is in `docker compose logs web` until someone signs in.
    await printFirstCode(config.apiShareDir ?? config.dataDir, { url, fingerprint: web.fingerprint }, out);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await web.close();
  },
};
