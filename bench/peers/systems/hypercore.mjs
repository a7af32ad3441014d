/**
 * Hypercore replication on loopback: the sender appends each message as a block (durable: on
 * disk before append resolves), the receiver replicates live over TCP. `--batch N` appends N
 * blocks per call (hypercore's own batching), as an application that batches would.
 * The sender listens (the receiver needs its key first).
 */
import { mkdtempSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Hypercore from 'hypercore';
import { arg, BURST, makeCounter, makeMessage, onCommand, sendPaced } from './harness.mjs';

const role = arg('--role');
const batch = Number(arg('--batch', '1'));
const dir = mkdtempSync(join(tmpdir(), `kith-bench-hypercore-${role}-`));

if (role === 'sender') {
  const core = new Hypercore(dir);
  await core.ready();
  const server = createServer((socket) => {
    const s = core.replicate(false);
    socket.pipe(s).pipe(socket);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const append = (blocks) =>
    core.append(blocks.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
  onCommand({
    burst: async ({ n }) => {
      for (let i = 0; i < n; i += batch) {
        const k = Math.min(batch, n - i);
        await append(Array.from({ length: k }, () => makeMessage(BURST)));
      }
    },
    paced: ({ rate, seconds }) => sendPaced(rate, seconds, (m) => append([m])),
  });
  process.send({ type: 'ready', info: { port: server.address().port, key: core.key.toString('hex') } });
} else {
  const info = JSON.parse(arg('--peer'));
  const core = new Hypercore(dir, Buffer.from(info.key, 'hex'));
  await core.ready();
  const socket = createConnection(info.port, '127.0.0.1');
  const s = core.replicate(true);
  socket.pipe(s).pipe(socket);
  const counter = makeCounter();
  core.createReadStream({ live: true, start: 0 }).on('data', (block) => counter.take(new Uint8Array(block)));
  onCommand(counter.handlers);
  process.send({ type: 'ready', info: {} });
}
