/** Raw WebSocket on loopback: the ceiling every other row is compared with. */
import { WebSocket, WebSocketServer } from 'ws';
import { arg, makeCounter, onCommand, sendBurst, sendPaced } from './harness.mjs';

const role = arg('--role');
const HIGH_WATER = 4 * 1024 * 1024;

if (role === 'receiver') {
  const counter = makeCounter();
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => socket.on('message', (d) => counter.take(new Uint8Array(d))));
  await new Promise((r) => server.on('listening', r));
  onCommand(counter.handlers);
  process.send({ type: 'ready', info: { url: `ws://127.0.0.1:${server.address().port}` } });
} else {
  const info = JSON.parse(arg('--peer'));
  const socket = new WebSocket(info.url);
  await new Promise((r, j) => {
    socket.once('open', r);
    socket.once('error', j);
  });
  const send = async (m) => {
    while (socket.bufferedAmount > HIGH_WATER) await new Promise((r) => setImmediate(r));
    socket.send(m);
  };
  onCommand({
    burst: ({ n }) => sendBurst(n, send),
    paced: ({ rate, seconds }) => sendPaced(rate, seconds, send),
  });
  process.send({ type: 'ready', info: {} });
}
