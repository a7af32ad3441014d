/** A peer system run as two child processes (systems/*.mjs) that take the orchestrator's commands. */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { System } from './system.ts';

const SYSTEMS_DIR = join(import.meta.dirname, 'systems');

type Reply = { type: string; [key: string]: unknown };

class Child {
  private waiters = new Map<string, (reply: Reply) => void>();
  private failure: ((err: Error) => void) | undefined;
  readonly proc: ChildProcess;
  readonly ready: Promise<Reply>;

  constructor(script: string, args: string[]) {
    this.proc = fork(join(SYSTEMS_DIR, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.waiters.set('ready', resolve);
      this.failure = reject;
      this.proc.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
    });
    this.proc.on('message', (m: Reply) => {
      if (m.type === 'error') return this.failure?.(new Error(String(m.message)));
      const w = this.waiters.get(m.type);
      this.waiters.delete(m.type);
      w?.(m);
    });
  }

  command(cmd: Record<string, unknown> & { type: string }): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.failure = reject;
      this.waiters.set(`${cmd.type}:done`, resolve);
      this.proc.send(cmd);
    });
  }

  stop(): void {
    this.proc.kill('SIGKILL');
  }
}

export interface ChildSystemSpec {
  name: string;
  script: string;
  args?: string[];
  /** Which side listens (and so starts first and hands its address to the other). */
  listener: 'sender' | 'receiver';
}

export async function startChildSystem(spec: ChildSystemSpec): Promise<System> {
  const start = (role: 'sender' | 'receiver', peer?: unknown) =>
    new Child(spec.script, [
      '--role',
      role,
      ...(spec.args ?? []),
      ...(peer === undefined ? [] : ['--peer', JSON.stringify(peer)]),
    ]);
  const first = start(spec.listener);
  const firstInfo = (await first.ready).info;
  const second = start(spec.listener === 'sender' ? 'receiver' : 'sender', firstInfo);
  await second.ready;
  const sender = spec.listener === 'sender' ? first : second;
  const receiver = spec.listener === 'sender' ? second : first;
  return {
    name: spec.name,
    pids: () => [sender.proc.pid!, receiver.proc.pid!],
    burst: async (n) => void (await sender.command({ type: 'burst', n })),
    paced: async (rate, seconds) => void (await sender.command({ type: 'paced', rate, seconds })),
    counts: async () => (await receiver.command({ type: 'counts' })).counts as number[],
    latencies: async () => (await receiver.command({ type: 'stats' })).latencies as number[],
    stop: async () => {
      sender.stop();
      receiver.stop();
    },
  };
}
