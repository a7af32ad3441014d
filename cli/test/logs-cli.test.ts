/**
 * Logs (issue #14, services/agent/src/logger.ts): on a terminal a person reads pretty lines
 * (pino-pretty: time, level, message); anywhere else (a pipe, a file, a container) every line is
 * one JSON object. The real `kith up`, once with a pseudo-terminal (util-linux `script`) and once
 * with its stderr on a pipe.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/database.ts';
import { kithOnTerminal, type RunningKith, spawnKith } from '../../test/helpers/kith-cli.ts';

const upArgs = (dataDir: string, host: string) => [
  'up',
  '--data',
  dataDir,
  '--host',
  host,
  '--peer-port',
  '0',
  '--api-port',
  '0',
  '--web-port',
  '0',
];

describe('logs: pretty on a terminal, JSON lines elsewhere (real processes)', () => {
  let dir: string;
  let piped: RunningKith | undefined;

  beforeAll(async () => {
    dir = await makeTempDir('kith-logs-');
  });

  afterAll(async () => {
    piped?.child.kill('SIGKILL');
  });

  it('on a terminal: readable lines with time and level, no JSON', async () => {
    const { output } = await kithOnTerminal(upArgs(join(dir, 'tty'), '127.0.0.141'), {
      env: { DATABASE_URL: '' },
      until: 'kith: running as',
      timeoutMs: 300_000,
    });
    expect(output).toContain('kith: running as');
    // pino-pretty's shape: "[12:03:04.567] INFO: message" (colours around the level).
    const plain = output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO( \([^)]*\))?: \S/m);
    expect(plain).not.toContain('{"level":');
  }, 320_000);

  it('on a pipe: every log line is one JSON object', async () => {
    piped = spawnKith(upArgs(join(dir, 'pipe'), '127.0.0.142'), { env: { DATABASE_URL: '' } });
    await piped.waitForOutput('kith: running as', 300_000);
    const lines = piped
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      expect(JSON.parse(line)).toMatchObject({ level: expect.any(Number), msg: expect.any(String) });
    expect(piped.stderr()).not.toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO/m);
    piped.child.kill('SIGTERM');
    expect(await piped.exited).toBe(0);
  }, 320_000);
});
