import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const KITH_BIN = fileURLToPath(new URL('../../bin/kith.mjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is one JSON document. */
  json: unknown;
}

/** Runs the real `kith` binary as a separate process, exactly as a user would. */
export function runKith(
  args: string[],
  /** `prefix`: a command the node process runs under, e.g. `ip netns exec NS`. */
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; prefix?: string[] } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [command, ...before] = [...(options.prefix ?? []), process.execPath];
    const child = spawn(command!, [...before, KITH_BIN, ...args], {
      env: { ...process.env, KITH_DATA: '', KITH_PASSPHRASE_FILE: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
  });
}

/** A `kith` process left running (a waiting `kith invite`, `kith agent`), its output collected. */
export interface RunningKith {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Resolves when `text` appears on stdout or stderr; rejects if the process ends first. */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts the real `kith` binary and returns at once (`prefix` as for runKith). */
export function spawnKith(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; prefix?: string[] } = {},
): RunningKith {
  const [command, ...before] = [...(options.prefix ?? []), process.execPath];
  const child = spawn(command!, [...before, KITH_BIN, ...args], {
    env: { ...process.env, KITH_DATA: '', KITH_PASSPHRASE_FILE: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const seen = (text: string | RegExp) => {
    const all = stdout + stderr;
    return typeof text === 'string' ? all.includes(text) : text.test(all);
  };
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForOutput: (text, timeoutMs = 120_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no ${text} in ${timeoutMs} ms:\n${stdout}\n${stderr}`)),
          timeoutMs,
        );
        const check = () => {
          if (seen(text)) finish();
        };
        const ended = () =>
          finish(seen(text) ? undefined : new Error(`kith ended before ${text}:\n${stdout}\n${stderr}`));
        function finish(err?: Error) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.stderr!.off('data', check);
          child.off('close', ended);
          if (err) reject(err);
          else resolve();
        }
        child.stdout!.on('data', check);
        child.stderr!.on('data', check);
        child.on('close', ended);
        check();
      }),
  };
}

/**
 * Runs `kith ARGS` with a terminal on stdin, stdout and stderr (a pty from util-linux `script`),
 * as a person at a terminal would; stdout and stderr arrive merged, as on a screen.
 */
export function kithOnTerminal(
  args: string[],
  /**
   * `until`: end the session (SIGTERM to `script`, which ends kith) once the output has it.
   * `onOutput`: called with all the output so far each time more arrives (to act meanwhile).
   */
  options: {
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    until?: string | RegExp;
    onOutput?: (output: string) => void;
  } = {},
): Promise<{ code: number; output: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, KITH_BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, KITH_DATA: '', KITH_PASSPHRASE_FILE: '', COLUMNS: '100', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const { until } = options;
    const collect = (d: Buffer) => {
      output += d;
      options.onOutput?.(output);
      if (until && (typeof until === 'string' ? output.includes(until) : until.test(output)))
        child.kill('SIGTERM');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}
