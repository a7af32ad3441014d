/**
 * The part every peer's child process shares: the message format, the commands from the
 * orchestrator (over the IPC channel) and the receiver's counts.
 *
 * A message is 1 KiB: bytes 0-7 the send time (ms since the epoch, float64, from
 * performance.timeOrigin + now, so two processes on one machine compare), byte 8 the phase
 * (0 burst, 1 paced). The receiver counts both phases and keeps the paced latencies.
 */
export const SIZE = 1024;
export const BURST = 0;
export const PACED = 1;

export const now = () => performance.timeOrigin + performance.now();

export function makeMessage(phase) {
  const m = new Uint8Array(SIZE);
  new DataView(m.buffer).setFloat64(0, now());
  m[8] = phase;
  return m;
}

/** Receiver side: call with each whole message. */
export function makeCounter() {
  const counts = [0, 0];
  const latencies = [];
  return {
    take(m) {
      const view = new DataView(m.buffer, m.byteOffset, m.byteLength);
      const phase = m[8];
      counts[phase] = (counts[phase] ?? 0) + 1;
      if (phase === PACED) latencies.push(now() - view.getFloat64(0));
    },
    /** What a receiver answers the orchestrator. */
    handlers: {
      counts: () => ({ counts: [...counts] }),
      stats: () => ({ counts: [...counts], latencies: [...latencies] }),
    },
  };
}

/** Splits a byte stream into 1 KiB messages. */
export function makeSplitter(onMessage) {
  let pending = new Uint8Array(0);
  return (chunk) => {
    let data = chunk;
    if (pending.length) {
      data = new Uint8Array(pending.length + chunk.length);
      data.set(pending);
      data.set(chunk, pending.length);
    }
    let at = 0;
    while (data.length - at >= SIZE) {
      onMessage(data.subarray(at, at + SIZE));
      at += SIZE;
    }
    pending = data.slice(at);
  };
}

/** The orchestrator's commands, one at a time. */
export function onCommand(handlers) {
  process.on('message', async (cmd) => {
    try {
      const reply = await handlers[cmd.type]?.(cmd);
      process.send({ type: `${cmd.type}:done`, ...(reply ?? {}) });
    } catch (err) {
      process.send({ type: 'error', message: String(err?.stack ?? err) });
    }
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * Sends `n` burst messages through `trySend` (false = wait for `drained`), or paced ones at
 * `rate`/s for `seconds`.
 */
export async function sendBurst(n, send) {
  for (let i = 0; i < n; i++) await send(makeMessage(BURST));
}

export async function sendPaced(rate, seconds, send) {
  const start = now();
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    await sleep(start + (i * 1000) / rate - now());
    await send(makeMessage(PACED));
  }
}

export function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
