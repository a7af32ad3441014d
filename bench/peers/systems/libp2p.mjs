/**
 * js-libp2p 2.x on loopback: tcp + noise + yamux. `--mode stream` sends the messages down one
 * protocol stream; `--mode gossipsub` publishes them to a topic the receiver subscribes to.
 */
import { gossipsub } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { arg, makeCounter, makeSplitter, onCommand, sendBurst, sendPaced, sleep } from './harness.mjs';

const role = arg('--role');
const mode = arg('--mode', 'stream');
const PROTOCOL = '/kith-bench/1.0.0';
const TOPIC = 'kith-bench';
/** Publishes in flight at once (gossipsub resolves each publish once it is queued to peers). */
const WINDOW = 256;

const node = await createLibp2p({
  addresses: { listen: role === 'receiver' ? ['/ip4/127.0.0.1/tcp/0'] : [] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services:
    mode === 'gossipsub'
      ? { identify: identify(), pubsub: gossipsub({ emitSelf: false, allowPublishToZeroTopicPeers: false }) }
      : {},
});

if (role === 'receiver') {
  const counter = makeCounter();
  if (mode === 'gossipsub') {
    node.services.pubsub.subscribe(TOPIC);
    node.services.pubsub.addEventListener('message', (e) => counter.take(e.detail.data));
  } else {
    const split = makeSplitter((m) => counter.take(m));
    await node.handle(PROTOCOL, async ({ stream }) => {
      for await (const chunk of stream.source) split(chunk.subarray());
    });
  }
  onCommand(counter.handlers);
  process.send({ type: 'ready', info: { addr: node.getMultiaddrs()[0].toString() } });
} else {
  const info = JSON.parse(arg('--peer'));
  const target = multiaddr(info.addr);
  let send;
  if (mode === 'gossipsub') {
    const pubsub = node.services.pubsub;
    pubsub.subscribe(TOPIC);
    await node.dial(target);
    while (pubsub.getSubscribers(TOPIC).length === 0) await sleep(20);
    const inflight = new Set();
    send = async (m) => {
      while (inflight.size >= WINDOW) await Promise.race(inflight);
      const p = pubsub.publish(TOPIC, m).finally(() => inflight.delete(p));
      inflight.add(p);
    };
    const flush = async () => {
      await Promise.all(inflight);
    };
    onCommand({
      burst: async ({ n }) => {
        await sendBurst(n, send);
        await flush();
      },
      paced: async ({ rate, seconds }) => {
        await sendPaced(rate, seconds, send);
        await flush();
      },
    });
  } else {
    const stream = await node.dialProtocol(target, PROTOCOL);
    // The sink pulls from this queue: a write waits while yamux's window is full.
    const queue = [];
    let wake;
    let room;
    stream.sink(
      (async function* () {
        for (;;) {
          while (queue.length === 0) await new Promise((r) => (wake = r));
          const m = queue.shift();
          room?.();
          yield m;
        }
      })(),
    );
    send = async (m) => {
      while (queue.length >= 64) await new Promise((r) => (room = r));
      queue.push(m);
      wake?.();
    };
    onCommand({
      burst: ({ n }) => sendBurst(n, send),
      paced: ({ rate, seconds }) => sendPaced(rate, seconds, send),
    });
  }
  process.send({ type: 'ready', info: {} });
}
