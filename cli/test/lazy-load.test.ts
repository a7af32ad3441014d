/**
 * A command loads only what it needs (docs/ARCHITECTURE.md, "Build"): the built `kith` answers
 * --version, --help of one command and `status` without importing the agent's server, database
 * drivers or logger, and `kith up` on the embedded database starts without the Postgres driver,
 * the UPnP client or TypeBox's 680 modules from node_modules. Runs bin/kith.mjs (dist/, rebuilt by the test setup) under a loader hook
 * that records every module loaded.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KITH_BIN, spawnKith } from '../../test/helpers/kith-cli.ts';

const HOOK = fileURLToPath(new URL('./fixtures/record-loads.mjs', import.meta.url));
const HEAVY = ['fastify', '@electric-sql/pglite', 'drizzle-orm', 'postgres', 'pino', '@fastify/'];
const dir = mkdtempSync(join(tmpdir(), 'kith-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function modulesLoadedBy(args: string[]): { code: number | null; stdout: string; modules: string[] } {
  const log = join(dir, `${args.join('_').replace(/\W/g, '')}.log`);
  const r = spawnSync(process.execPath, ['--import', HOOK, KITH_BIN, ...args], {
    env: { ...process.env, KITH_LOAD_LOG: log, KITH_DATA: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.stderr).not.toContain('running the TypeScript sources');
  const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { code: r.status, stdout: r.stdout, modules };
}

const heavyIn = (modules: string[]) =>
  modules.filter((m) => HEAVY.some((name) => m.includes(`/node_modules/${name}`)));

describe('the built kith loads only what a command needs', () => {
  it('--version prints the version and loads no npm dependency at all', () => {
    const r = modulesLoadedBy(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kith \d+\.\d+\.\d+/);
    expect(r.modules.some((m) => m.includes('/dist/'))).toBe(true);
    expect(r.modules.filter((m) => m.includes('/node_modules/'))).toEqual([]);
  });

  it('status (no agent running here) and `up --help` load no server, database or logger', () => {
    const status = modulesLoadedBy(['status', '--data', join(dir, 'empty')]);
    expect(status.code).toBe(1); // AGENT_NOT_RUNNING: the command ran
    expect(heavyIn(status.modules)).toEqual([]);
    // Not even TypeBox or noble from node_modules: they are bundled (scripts/build.mjs).
    expect(status.modules.filter((m) => m.includes('/node_modules/'))).toEqual([]);
    const help = modulesLoadedBy(['up', '--help']);
    expect(help.code).toBe(0);
    expect(heavyIn(help.modules)).toEqual([]);
  });

  it('`kith up` on PGlite runs without the Postgres driver, the UPnP client, a second TypeBox or the API docs', async () => {
    const log = join(dir, 'up.log');
    // Mapping on, but on a loopback bind there is no router to ask: nothing needs UPnP.
    const up = spawnKith(
      ['up', '--data', join(dir, 'up'), '--host', '127.0.0.1', '--peer-port', '0', '--api-port', '0'],
      {
        env: {
          NODE_OPTIONS: `--import ${HOOK}`,
          KITH_LOAD_LOG: log,
          KITH_PORT_MAPPING: 'on',
          KITH_LOG_LEVEL: 'warn',
          DATABASE_URL: '',
        },
      },
    );
    try {
      await up.waitForOutput('kith: running as');
    } finally {
      up.child.kill('SIGTERM');
      await up.exited;
    }
    const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    // It ran: the server and the embedded database were loaded.
    expect(heavyIn(modules).some((m) => m.includes('/node_modules/@electric-sql/pglite'))).toBe(true);
    // TypeBox from node_modules: fastify's type provider is bundled and uses the copy in dist/.
    const unwanted = [
      '@achingbrain/nat-port-mapper',
      'xml2js',
      'postgres',
      'drizzle-orm/postgres-js',
      'typebox',
      // The OpenAPI document and its UI: built on the first request under /api/docs.
      '@fastify/swagger',
      '@fastify/swagger-ui',
      'yaml',
    ];
    expect(modules.filter((m) => unwanted.some((name) => m.includes(`/node_modules/${name}/`)))).toEqual([]);
  }, 180_000);

  it('the hook sees the heavy modules when a command does load them (the check can fail)', () => {
    const r = modulesLoadedBy(['consensus', '--data', join(dir, 'empty'), '--log-level', 'nonsense']);
    expect(heavyIn(r.modules).some((m) => m.includes('/node_modules/pino'))).toBe(true);
  });
});
