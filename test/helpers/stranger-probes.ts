/**
 * Stranger probes (issue #17 item 3, docs/SECURITY.md "Strangers"): what a scanner or an on-path
 * attacker can send a node's peer port, and a prober that counts the bytes that come back. Used
 * against an in-process node (services/agent/test/link/silence-at-scale.test.ts) and against a
 * spawned `kith up` process (test/cluster/silence-at-scale.test.ts).
 */
import { connect } from 'node:net';
import type { NoiseKeyPair } from '@kith/core/noise/dh25519';
import { createLinkHello } from '@kith/core/noise/link-handshake';
import { LINK_PATH } from '../../services/agent/src/link/options.ts';
import { processHelloTimestamps } from '../../services/agent/src/link/replay-guard.ts';
import { freshKeyPair, seededRandom, upgradeRequest } from '../../services/agent/test/link/helpers.ts';

export interface ProbeResult {
  received: number;
  hung: boolean;
}

/**
 * One TCP connection from `source`: writes the payload and collects bytes until the node closes
 * it. With `watchMs` the prober itself gives up after that long (a connection that sends
 * nothing); without, a node that holds the connection past its own deadlines (20 s) is 'hung'.
 */
export function probe(
  host: string,
  port: number,
  source: string,
  payload: Uint8Array | string,
  watchMs?: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let received = 0;
    let hung = false;
    const socket = connect({ host, port, localAddress: source }, () => {
      if (payload.length > 0) socket.write(payload);
    });
    const limit = setTimeout(() => {
      hung = watchMs === undefined;
      socket.destroy();
    }, watchMs ?? 20_000);
    socket.on('data', (d) => {
      received += d.length;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(limit);
      resolve({ received, hung });
    });
  });
}

export const PROBE_KINDS = [
  'nothing',
  'http',
  'ws-garbage',
  'stranger',
  'replay',
  'oversize',
  'raw',
] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** A link hello (base64url, as the kith-hello header carries it) from `keys` to `responder`. */
export function helloFrom(keys: NoiseKeyPair, responder: Uint8Array, label: string): string {
  const { hello } = createLinkHello({
    staticKeyPair: keys,
    remoteStaticKey: responder,
    timestampNanos: processHelloTimestamps.next(Date.now()),
    random: seededRandom(label),
  });
  return Buffer.from(hello).toString('base64url');
}

/** The upgrade request a device sends to link, carrying `hello`. */
export function helloRequest(port: number, hello: string): string {
  return upgradeRequest(port, LINK_PATH, [`kith-hello: ${hello}`]);
}

/**
 * The payload of probe `i` of `kind` at a node listening on `port` whose link key is
 * `responder`; `captured` is a friend's hello request already answered once (the replay).
 */
export function probePayloads(port: number, responder: Uint8Array, captured: string) {
  // Unknown keys are refused before the replay guard, so their hellos can be made once.
  const strangers = Array.from({ length: 32 }, (_, i) =>
    helloFrom(freshKeyPair('stranger'), responder, `stranger-${i}`),
  );
  const random = seededRandom('probes');
  const byte = () => random(1)[0]!;
  return (kind: ProbeKind, i: number): Uint8Array | string => {
    switch (kind) {
      case 'nothing':
        return '';
      case 'http':
        return [
          'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
          `POST ${LINK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`,
          'HEAD /robots.txt HTTP/1.0\r\n\r\n',
          'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
          'CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n',
        ][i % 5]!;
      case 'ws-garbage': {
        const garbage = Buffer.from(random(1 + (byte() % 200))).toString('base64url');
        return upgradeRequest(port, i % 3 === 0 ? '/' : LINK_PATH, [`kith-hello: ${garbage}`]);
      }
      case 'stranger':
        return helloRequest(port, strangers[i % strangers.length]!);
      case 'replay':
        return captured;
      case 'oversize':
        // A header far past any hello, or a WebSocket frame header claiming 2^62 bytes.
        return i % 2 === 0
          ? upgradeRequest(port, LINK_PATH, [`kith-hello: ${'A'.repeat(70_000)}`])
          : Buffer.concat([
              Buffer.from(upgradeRequest(port, LINK_PATH, ['kith-hello: AAAA'])),
              Buffer.from([0x82, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0]),
            ]);
      case 'raw':
        return random(1 + (byte() % 512));
    }
  };
}
