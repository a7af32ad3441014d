/**
 * How a peer session paces what it receives (peer-session.ts, ARCHITECTURE "Messaging
 * performance"): the messages that come in together (one socket read) are handled in the same
 * turn of the event loop, in arrival order, so the items among them meet in the receiver's
 * group commit; past SESSION_MESSAGES_PER_TURN the rest waits for the next turn, so a flood on
 * one link still leaves room for the API and the other links. A fake link, no sockets: what is
 * counted is which messages were handled before a turn of the event loop went by.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Link } from '../../src/link/link.ts';
import { PeerSession, SESSION_MESSAGES_PER_TURN, type SessionHost } from '../../src/peer/peer-session.ts';
import {
  SESSION_MESSAGES,
  type SessionHandlers,
  sessionMessageDefinition,
} from '../../src/peer/session-messages.ts';

/** Just enough of a Link for a session: messages in, sends counted, a close that resolves. */
class FakeLink extends EventEmitter {
  isOpen = true;
  readingPaused = false;
  remoteAddress = undefined;
  remotePort = undefined;
  remoteStaticKey = new Uint8Array(32);
  sent = 0;
  private resolveClosed: () => void = () => undefined;
  readonly closed = new Promise<{ reason: string }>((resolve) => {
    this.resolveClosed = () => resolve({ reason: 'local' });
  });
  send(): void {
    this.sent += 1;
  }
  pauseReading(): void {
    this.readingPaused = true;
  }
  resumeReading(): void {
    this.readingPaused = false;
  }
  close(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.resolveClosed();
  }
}

function hostRecording(handled: number[]): SessionHost {
  const ignore = async (): Promise<void> => undefined;
  const handlers = Object.fromEntries(SESSION_MESSAGES.map((d) => [d.type, ignore])) as Record<
    string,
    unknown
  >;
  handlers.reach = async (_s: PeerSession, m: { seq: number }) => {
    handled.push(m.seq);
  };
  return {
    clock: Date.now,
    random: (n) => new Uint8Array(n),
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
    handlers: handlers as unknown as SessionHandlers<PeerSession>,
    versions: async () => [],
    onClose: () => undefined,
    log: { debug: () => undefined, warn: () => undefined },
  };
}

const reach = (seq: number) =>
  sessionMessageDefinition('reach').encode({ v: 1, t: 'reach', seq, routes: {} });

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function readySession(handled: number[]): Promise<{ link: FakeLink; session: PeerSession }> {
  const link = new FakeLink();
  const session = new PeerSession(link as unknown as Link, hostRecording(handled), {
    deviceId: 'd',
    userId: 'u',
  });
  await session.start();
  session.ready = true;
  return { link, session };
}

describe('a peer session paces what it receives by turns of the event loop', () => {
  it('handles the messages of one read in the same turn, in order', async () => {
    const handled: number[] = [];
    const { link, session } = await readySession(handled);
    // One socket read: the link emits its messages one after the other, synchronously.
    for (let i = 0; i < 5; i++) link.emit('message', reach(i));
    await nextTurn();
    expect(handled).toEqual([0, 1, 2, 3, 4]);
    session.close();
  });

  it('leaves what is past SESSION_MESSAGES_PER_TURN for the next turns', async () => {
    const handled: number[] = [];
    const { link, session } = await readySession(handled);
    const total = SESSION_MESSAGES_PER_TURN * 2 + 3;
    for (let i = 0; i < total; i++) link.emit('message', reach(i));
    await nextTurn();
    expect(handled).toEqual([...Array(SESSION_MESSAGES_PER_TURN).keys()]);
    for (let turns = 0; handled.length < total && turns < 10; turns++) await nextTurn();
    expect(handled).toEqual([...Array(total).keys()]);
    session.close();
  });
});
