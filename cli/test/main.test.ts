/** The command table of main.ts names each command as the command itself does. */
import { describe, expect, it } from 'vitest';
import { COMMAND_LOADERS } from '../src/main.ts';

describe('command table', () => {
  it('every name loads the command of that name, each once', async () => {
    const names = COMMAND_LOADERS.map(([name]) => name);
    expect(new Set(names).size).toBe(names.length);
    for (const [name, load] of COMMAND_LOADERS) expect((await load()).name).toBe(name);
  }, 120_000);
});
