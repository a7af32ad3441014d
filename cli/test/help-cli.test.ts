/**
 * Help, version and shell completion of the real `kith` binary (issue #14, item 5): every group
 * and command answers --help, lines are wrapped to the width and never cut, option names and
 * descriptions never run together, and the bash completion knows commands and options.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKith } from '../../test/helpers/kith-cli.ts';
import { GLOBAL_FLAGS } from '../src/command.ts';
import { commandHelp } from '../src/help.ts';
import { COMMAND_LOADERS } from '../src/main.ts';

const WIDTH = 60;
const env = { KITH_HELP_WIDTH: String(WIDTH) };

/** Every word of `text`, in order (what wrapping must keep). */
const wordsOf = (text: string) => text.split(/\s+/).filter(Boolean);

function checkHelp(name: string, help: string, summary: string): void {
  for (const line of help.split('\n')) {
    // A line is longer only when one word (an option) alone is.
    if (line.length > WIDTH) expect(wordsOf(line), `${name}: ${line}`).toHaveLength(1);
  }
  expect(wordsOf(help).join(' ')).toContain(wordsOf(summary).join(' '));
  // No option runs into its description (`--bip39-passphrase-file VALUEoptional`).
  expect(help, name).not.toMatch(/VALUE[^\s…]/);
}

describe('kith --help', () => {
  it('groups list their commands: kith conversation --help, kith archive --help', async () => {
    for (const group of ['conversation', 'archive']) {
      const r = await runKith([group, '--help'], { env });
      expect(r.code, r.stderr).toBe(0);
      for (const [name] of COMMAND_LOADERS.filter(([n]) => n.startsWith(`${group} `)))
        expect(r.stdout).toContain(`  ${name}`);
      // Wrapped at the width too, its last line included.
      for (const line of r.stdout.split('\n'))
        expect(line.length, `${group}: ${line}`).toBeLessThanOrEqual(WIDTH);
    }
    const bare = await runKith(['archive'], { env });
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('archive sync');
    const wrong = await runKith(['archive', 'nope'], { env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('kith archive --help');
  });

  it('commands answer --help within the width, with their whole summary', async () => {
    // Processes for a few (each start costs a second or more here); the same text in-process for all.
    for (const name of ['invite', 'archive history', 'conversation create', 'web']) {
      const r = await runKith([...name.split(' '), '--help'], { env });
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`Usage: kith ${name}`);
      checkHelp(name, r.stdout, (await COMMAND_LOADERS.find(([n]) => n === name)![1]()).summary);
    }
    const web = await runKith(['web', '--help'], { env });
    expect(web.stdout).toContain('  web code');
    for (const [name, load] of COMMAND_LOADERS) {
      const command = await load();
      checkHelp(name, commandHelp(command, { ...GLOBAL_FLAGS, ...command.flags }, WIDTH), command.summary);
    }
  }, 120_000);

  it('the overview wraps at the width and names every command', async () => {
    const r = await runKith(['--help'], { env });
    expect(r.code).toBe(0);
    for (const [name] of COMMAND_LOADERS) expect(r.stdout).toContain(`  ${name} `);
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(WIDTH);
  });

  it('kith --version answers', async () => {
    const r = await runKith(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kith \d+\.\d+\.\d+/);
  });
});

describe('kith completion', () => {
  /** Runs the script in a real bash and asks it to complete `line`. */
  function complete(script: string, line: string[]): string[] {
    const program = `source "$1"; COMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${line.length - 1}; _kith; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', program, 'bash', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  }

  it('bash completes commands, subcommands and options', async () => {
    const r = await runKith(['completion', 'bash']);
    expect(r.code, r.stderr).toBe(0);
    const file = join(await mkdtemp(join(tmpdir(), 'kith-completion-')), 'kith.bash');
    await writeFile(file, r.stdout);
    expect(complete(file, ['kith', 'conv'])).toEqual(['conversation']);
    expect(complete(file, ['kith', 'conversation', 'l'])).toEqual(['list']);
    expect(complete(file, ['kith', 'conversation', 'create', '--to'])).toEqual(['--topic']);
    expect(complete(file, ['kith', 'invite', '--bip'])).toEqual(['--bip39-passphrase-file']);
  });

  it('zsh gets a script; another shell is a usage error', async () => {
    const zsh = await runKith(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toContain('bashcompinit');
    const fish = await runKith(['completion', 'fish']);
    expect(fish.code).toBe(2);
  });
});
