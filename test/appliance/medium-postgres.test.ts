/**
 * The medium tier's database suites once more, against the appliance's database image
 * (`postgres:15-bookworm`, the `db` service of docker-compose.yml) started by testcontainers:
 * so the path the appliance takes (a Postgres container, reached over a published port with a
 * password) is real, not only the machine's own Postgres. The suites run in a child vitest with
 * DATABASE_URL pointing at the container and KITH_TEST_DATABASES=postgres (PGlite ran already in
 * the medium tier). Runs when a Docker engine answers, always in CI (KITH_APPLIANCE_REQUIRED=1).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineProblem, run } from './compose.ts';

const problem = engineProblem();
if (problem) {
  if (process.env.KITH_APPLIANCE_REQUIRED === '1') throw new Error(`appliance tier: ${problem}`);
  console.info(`[appliance tier] Postgres container suite skipped: ${problem}`);
}

/** The medium-tier files that own the database paths: migrations, bytea, the archive repositories. */
const SUITES = [
  'services/agent/test/db/migrations.test.ts',
  'services/agent/test/db/bytea.test.ts',
  'services/archive/test',
];
const PASSWORD = 'kith-container-test';

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  testResults: {
    assertionResults: {
      ancestorTitles: string[];
      status: string;
      fullName: string;
      failureMessages?: string[];
    }[];
  }[];
}

describe.skipIf(problem !== undefined)('the medium database suites on a Postgres container', () => {
  // testcontainers' reaper is an image from a registry, which CI cannot reach; the test stops
  // its container itself.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  let container: StartedTestContainer | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kith-pg-container-'));
    const { GenericContainer, Wait } = await import('testcontainers');
    container = await new GenericContainer('postgres:15-bookworm')
      .withEnvironment({ POSTGRES_PASSWORD: PASSWORD, POSTGRES_INITDB_ARGS: '--data-checksums' })
      .withExposedPorts(5432)
      // The entrypoint's first server (initdb) listens on the socket only; TCP answers once the
      // real one runs.
      .withWaitStrategy(Wait.forSuccessfulCommand('pg_isready -h 127.0.0.1 -U postgres'))
      .withStartupTimeout(180_000)
      .start();
  }, 300_000);

  afterAll(async () => {
    await container?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('passes them all, each test on Postgres', async () => {
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${container!.getMappedPort(5432)}/postgres`;
    const report = join(dir, 'report.json');
    const r = await run(
      process.execPath,
      [
        'node_modules/vitest/vitest.mjs',
        'run',
        '--project',
        'medium',
        ...SUITES,
        // Beside the image build on two cores: room for a slow machine, no other change.
        '--testTimeout=180000',
        '--hookTimeout=300000',
        '--reporter=json',
        `--outputFile.json=${report}`,
      ],
      { env: { DATABASE_URL: url, KITH_TEST_DATABASES: 'postgres' }, timeoutMs: 840_000 },
    );
    const result = JSON.parse(await readFile(report, 'utf8').catch(() => '{}')) as Partial<VitestJson>;
    const failed = (result.testResults ?? [])
      .flatMap((f) => f.assertionResults)
      .filter((a) => a.status === 'failed')
      .map((a) => `${a.fullName}: ${(a.failureMessages ?? []).join(' ').slice(0, 600)}`);
    expect({ code: r.code, failed }, `${r.stderr.slice(-4000)}`).toEqual({ code: 0, failed: [] });
    const names = (result.testResults ?? []).flatMap((f) => f.assertionResults).map((a) => a.fullName);
    expect(result.numPassedTests).toBeGreaterThan(20);
    // Every suite ran on the container, none on PGlite.
    expect(names.filter((n) => n.includes('pglite'))).toEqual([]);
    expect(names.filter((n) => n.includes('postgres')).length).toBeGreaterThan(20);
    console.info(
      `[appliance tier] ${result.numPassedTests} medium database tests passed on postgres:15-bookworm`,
    );
  }, 900_000);
});
