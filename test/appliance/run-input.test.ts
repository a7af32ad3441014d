/**
 * compose.ts `run`: input for a command that exits without reading it. CI once went red on an
 * uncaught `write EPIPE` from the stdin of a docker-compose call in the appliance suite.
 */
import { describe, expect, it } from 'vitest';
import { run } from './compose.ts';

describe('run (the appliance tier’s process helper)', () => {
  it('gives the exit code when the command exits before reading its input', async () => {
    // 4 MiB is more than a pipe holds, so the write is still going when `true` has exited.
    const result = await run('true', [], { input: new Uint8Array(4 * 1024 * 1024) });
    expect(result.code).toBe(0);
  });

  it('still hands input to a command that reads it', async () => {
    const result = await run('wc', ['-c'], { input: 'twelve bytes' });
    expect(result.stdout.toString().trim()).toBe('12');
  });
});
