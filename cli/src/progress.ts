/**
 * Progress for long work (`kith archive sync`, `kith restore`): one line on stderr, redrawn in
 * place, only when stderr is a terminal and the output is not --json. Nothing otherwise, so
 * scripts and pipes see exactly what they saw before.
 */
import { Transform } from 'node:stream';
import { type AgentEvent, subscribeEvents } from '@kith/api/events';
import { locateAgent } from '@kith/api/locate-agent';
import type { Output } from './io.ts';

export interface Progress {
  /** Whether anything will be shown (a terminal, not --json). */
  readonly shown: boolean;
  update(text: string): void;
  /** Ends the line (once something was drawn). */
  done(): void;
}

export function progressLine(out: Output, stream: NodeJS.WriteStream = process.stderr): Progress {
  const shown = !out.json && stream.isTTY === true;
  let drawn = '';
  return {
    shown,
    update(text) {
      if (!shown || text === drawn) return;
      drawn = text;
      stream.write(`\r\x1b[2K${text}`);
    },
    done() {
      if (shown && drawn) stream.write('\n');
      drawn = '';
    },
  };
}

/** "1.2 MiB of 3.4 MiB (35%)", or "1.2 MiB" when the total is unknown (stdin). */
export function bytesProgress(done: number, total: number | undefined): string {
  const mib = (n: number) =>
    n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (!total) return mib(done);
  return `${mib(done)} of ${mib(total)} (${Math.min(100, Math.floor((done * 100) / total))}%)`;
}

/** Passes bytes through unchanged and reports how many went by. */
export function countingStream(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      onBytes(total);
      callback(null, chunk);
    },
  });
}

/**
 * Follows the agent's event stream while `work` runs, when progress is shown; `work`'s answer
 * is never held up by the stream (it may fail to open: then there is simply no progress).
 */
export async function withAgentEvents<T>(
  dataDir: string,
  progress: Progress,
  onEvent: (event: AgentEvent) => void,
  work: () => Promise<T>,
  /** After `work`, the event that ends the story (events may trail the answer a little). */
  last?: (event: AgentEvent, result: T) => boolean,
): Promise<T> {
  if (!progress.shown) return work();
  const { url, token } = await locateAgent(dataDir);
  const { WebSocket } = await import('ws');
  let ready!: () => void;
  const opened = new Promise<void>((resolve) => {
    ready = resolve;
  });
  let result: { value: T } | undefined;
  let finished: (() => void) | undefined;
  const seen: AgentEvent[] = [];
  const stream = subscribeEvents({
    baseUrl: url,
    token,
    webSocket: (u, headers) => new WebSocket(u, { headers }),
    onEvent(event) {
      if (event.type === 'stream.ready') return ready();
      onEvent(event);
      seen.push(event);
      if (result && last?.(event, result.value)) finished?.();
    },
    onClose: () => {
      ready();
      finished?.();
    },
  });
  // Subscribed before the work starts, so its first events are not missed.
  await opened;
  try {
    result = { value: await work() };
    const value = result.value;
    if (last && !seen.some((e) => last(e, value))) {
      // The events of the work trail its answer by a moment on the socket; a broken stream
      // costs at most two seconds of waiting, never the answer.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        finished = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return value;
  } finally {
    stream.close();
    progress.done();
  }
}
