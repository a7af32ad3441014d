/**
 * The web UI from the command line (docs/API.md "Web UI sessions"): `kith web` runs the web
 * part alone (the compose `web` service), `kith web code` mints a one-time sign-in code and the
 * URL that signs in when opened. `kith up` starts the web part in its own process (startWebPart).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '@kith/agent/config';
import type { RunningNode } from '@kith/agent/node';
import { KithError } from '@kith/core/errors';
import {
  agentFromDataDir,
  fixedAgent,
  type RunningWebServer,
  startWebServer,
  WEB_INFO_FILE,
  type WebInfo,
} from '@kith/web/index';
import { connectAgent } from '../client.ts';
import type { Command } from '../command.ts';
import type { Output } from '../io.ts';
import { NODE_FLAGS, nodeFlags } from './node-flags.ts';

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

async function readWebInfo(dataDir: string): Promise<WebInfo> {
  try {
    return JSON.parse(await readFile(join(dataDir, WEB_INFO_FILE), 'utf8')) as WebInfo;
  } catch {
    throw new KithError(
      'AGENT_NOT_RUNNING',
      'The web UI is not running for this data directory: start `kith up` or `kith web`.',
    );
  }
}

export const webCodeCommand: Command = {
  name: 'web code',
  usage: 'kith web code [--json]',
  summary: 'A one-time sign-in code for the web UI and a URL that signs in when opened.',
  flags: {},
  maxPositionals: 0,
  async run({ dataDir, out }) {
    const agent = await connectAgent(dataDir);
    const web = await readWebInfo(dataDir);
    const { code, expiresAt } = await agent.post<{ code: string; expiresAt: string }>('/web/codes', {});
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
export async function startWebPart(running: RunningNode, out: Output): Promise<RunningWebServer | undefined> {
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
  await printFirstCode(config.dataDir, web, out);
  return web;
}

/** Until someone has signed in, every start prints a fresh code (the appliance's first start). */
async function printFirstCode(dataDir: string, web: WebInfo, out: Output): Promise<void> {
  try {
    const agent = await connectAgent(dataDir);
    const sessions = await agent.get<unknown[]>('/web/sessions');
    if (sessions.length > 0) return;
    const { code, expiresAt } = await agent.post<{ code: string; expiresAt: string }>('/web/codes', {});
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
    out.note(
      `kith: web UI ${web.url}${web.fingerprint ? ` (certificate ${web.fingerprint})` : ''}. Stop with Ctrl-C.`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await web.close();
  },
};
