/**
 * Session messages go through one typed registry keyed by message type (session-messages.ts,
 * peer-handlers.ts): every defined message has exactly one handler, `send` takes only defined
 * messages (checked by `npm run typecheck`, which covers this file: each `@ts-expect-error`
 * below fails the typecheck if the line it marks compiles), and bytes of a type that is not
 * registered are refused: the session closes the link.
 */
import { Type } from '@sinclair/typebox';
import { defineMessage } from '@kith/core/wire/message';
import { afterEach, describe, expect, it } from 'vitest';
import { connectLink } from '../../src/link/connect.ts';
import type { Link } from '../../src/link/link.ts';
import { peerHandlers } from '../../src/peer/peer-handlers.ts';
import type { PeerNode } from '../../src/peer/peer-node.ts';
import { PeerSession, type SessionHost } from '../../src/peer/peer-session.ts';
import {
  SESSION_MESSAGES,
  type SessionHandlers,
  decodeSessionMessage,
  sessionMessageDefinition,
} from '../../src/peer/session-messages.ts';
import {
  type TestNode,
  allow,
  clock,
  freshKeyPair,
  seededRandom,
  startNode,
  timestamps,
  until,
} from '../link/helpers.ts';

/** A well-formed message of a type no session registers. */
const StrayMessage = defineMessage('stray', 1, 256, { note: Type.String({ maxLength: 16 }) });
const stray = () => StrayMessage.encode({ v: 1, t: 'stray', note: 'hi' });

/** Compiled, never run: the typecheck holds these lines to their expected errors. */
export function typeChecks(session: PeerSession): void {
  // @ts-expect-error: 'stray' is not a defined session message, so send refuses it.
  session.send({ v: 1, t: 'stray', note: 'hi' });
  // @ts-expect-error: a defined type missing its fields is not that message either.
  session.send({ v: 1, t: 'reach' });
  session.send({ v: 1, t: 'relay-lists', lists: [] });
  // @ts-expect-error: a registry without a handler for every message type.
  const partial: SessionHandlers<PeerSession> = { hello: async () => {} };
  void partial;
}

const nodes: TestNode[] = [];
const links: Link[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) l.close();
  for (const n of nodes.splice(0)) await n.close();
});

describe('session message registry', () => {
  it('gives every session message exactly one handler in the peer node', () => {
    // The handlers are arrows over the node; none runs here, so no node is needed.
    const handlers = peerHandlers({} as PeerNode);
    const types = SESSION_MESSAGES.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
    expect(Object.keys(handlers).sort()).toEqual([...types].sort());
    for (const t of types) expect(typeof handlers[t]).toBe('function');
  });

  it('decodes only registered types; a stray one is CODEC_SCHEMA', () => {
    expect(() => decodeSessionMessage(stray())).toThrowError(
      expect.objectContaining({ code: 'CODEC_SCHEMA' }),
    );
    const reach = sessionMessageDefinition('reach');
    expect(reach.type).toBe('reach');
    expect(() => sessionMessageDefinition('stray' as never)).toThrowError(/no session message "stray"/);
  });

  it('closes the link when a peer sends a type that is not registered', async () => {
    const server = await startNode();
    nodes.push(server);
    const me = freshKeyPair('client');
    allow(server, me);
    const accepted = new Promise<Link>((resolve) => server.registry.once('link', resolve));
    const client = await connectLink({
      url: server.url,
      staticKeyPair: me,
      remoteStaticKey: server.keys.publicKey,
      clock,
      random: seededRandom('client'),
      timestamps: timestamps(),
    });
    links.push(client);
    const serverSide = await accepted;

    const handled: string[] = [];
    const record = (t: string) => async (): Promise<void> => {
      handled.push(t);
    };
    const handlers = Object.fromEntries(
      SESSION_MESSAGES.map((d) => [d.type, record(d.type)]),
    ) as unknown as SessionHandlers<PeerSession>;
    let closedSession = false;
    const host: SessionHost = {
      clock,
      random: seededRandom('session'),
      heartbeatMeanMs: 60_000,
      helloFor: async () => ({
        v: 1,
        t: 'hello',
        cert: new Uint8Array(8),
        logSeq: 0,
        logHead: new Uint8Array(32),
        seenAddress: '',
      }),
      admit: async () => undefined,
      isRelayLinkKey: async () => false,
      handlers,
      versions: async () => [],
      onClose: () => {
        closedSession = true;
      },
      log: { debug: () => undefined, warn: () => undefined },
    };
    const session = new PeerSession(serverSide, host);
    await session.start();
    client.send(stray());
    await client.closed;
    // The server side's session learns of the close on its own turn.
    await until(() => closedSession);
    expect(handled).toEqual([]);
  });
});
