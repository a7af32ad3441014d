/**
 * Inviter side of a short code (docs/PROTOCOL.md §9a): while any short code is open, a TCP
 * listener on the peer host (any free port) and an mDNS responder that names it. One run per
 * code at a time; the first run that gets as far as the inviter's share either succeeds (the
 * long code is handed over, sealed, and the short code is spent) or ends the invite: one guess
 * per invite (docs/SECURITY.md "Short codes"). A hello for a number that is not open, or busy,
 * gets the connection closed without a byte.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { constantTimeEqual } from '@kith/core/crypto/index';
import { lanIdentifier, lanWindow, type ShortCode } from '@kith/core/pairing/short-code';
import { inviterReply, sealLongCode } from '@kith/core/pairing/short-code-pake';
import {
  PakeConfirmMessage,
  PakeHelloMessage,
  PakeInviteMessage,
  PakeReplyMessage,
} from '@kith/core/wire/short-pairing';
import { LanAnnouncer, lanInterface } from './lan-announce.ts';
import type { PeerNode } from './peer-node.ts';
import { FrameReader, writeFrame } from './short-code-frames.ts';

const STEP_TIMEOUT_MS = 15_000;

interface OpenCode {
  code: ShortCode;
  busy: boolean;
}

export interface ShortCodeHooks {
  /** The long code to hand over, or undefined when the invite is no longer open. */
  longCode(inviteId: string): Promise<string | undefined>;
  /** Ends the invite (a wrong guess). */
  end(inviteId: string, reason: 'wrong-code'): Promise<unknown>;
  /** The short code was used to hand over the long one. */
  spent(inviteId: string): Promise<void>;
}

export class ShortCodeListener {
  private readonly open = new Map<string, OpenCode>();
  private server: Server | undefined;
  private announcer: LanAnnouncer | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly node: PeerNode,
    private readonly hooks: ShortCodeHooks,
  ) {}

  ids(): string[] {
    return [...this.open.keys()];
  }

  nameplates(): number[] {
    return [...this.open.values()].map((o) => o.code.nameplate);
  }

  async add(inviteId: string, code: ShortCode): Promise<void> {
    this.open.set(inviteId, { code, busy: false });
    await this.listen();
  }

  remove(inviteId: string): void {
    this.open.delete(inviteId);
    if (this.open.size === 0) void this.stop();
  }

  private async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => void this.serve(socket));
    server.on('error', (err) => this.node.log.warn({ err }, 'short-code listener failed'));
    this.server = server;
    const iface = lanInterface(this.node.options.host);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, iface ?? '0.0.0.0', () => resolve());
    });
    const port = (server.address() as { port: number }).port;
    this.announcer = new LanAnnouncer(
      {
        ...(iface ? { iface } : {}),
        tcpPort: () => port,
        labels: () => {
          const window = lanWindow(this.node.clock());
          return [...this.open.values()].map((o) => lanIdentifier(o.code.nameplate, window));
        },
      },
      (err) => this.node.log.warn({ err }, 'LAN announcement failed'),
    );
    this.announcer.start();
    this.node.log.info({ port }, 'short-code listener open');
  }

  async stop(): Promise<void> {
    this.announcer?.stop();
    this.announcer = undefined;
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(socket: Socket): Promise<void> {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const frames = new FrameReader(socket);
    let claimed: [string, OpenCode] | undefined;
    let guessed = false;
    try {
      const hello = PakeHelloMessage.decode(await frames.next(STEP_TIMEOUT_MS));
      claimed = [...this.open.entries()].find(([, o]) => o.code.nameplate === hello.nameplate && !o.busy);
      if (!claimed) return;
      const [inviteId, entry] = claimed;
      entry.busy = true;
      const { reply, keys } = inviterReply(entry.code, hello, this.node.random);
      // From here the other side can test one guess: it succeeds below, or the invite ends.
      guessed = true;
      writeFrame(socket, PakeReplyMessage.encode({ v: 1, t: 'pake-reply', ...reply }));
      const confirm = PakeConfirmMessage.decode(await frames.next(STEP_TIMEOUT_MS));
      if (!constantTimeEqual(confirm.confirm, keys.confirmA)) return;
      const long = await this.hooks.longCode(inviteId);
      if (!long) return;
      writeFrame(
        socket,
        PakeInviteMessage.encode({ v: 1, t: 'pake-invite', sealed: sealLongCode(keys, long) }),
      );
      guessed = false;
      this.open.delete(inviteId);
      await this.hooks.spent(inviteId);
      if (this.open.size === 0) void this.stop();
      this.node.log.info({ invite: inviteId.slice(0, 8) }, 'short code traded for the long invite');
    } catch (err) {
      this.node.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'short-code run ended');
    } finally {
      if (claimed) claimed[1].busy = false;
      if (claimed && guessed) {
        this.node.log.warn({ invite: claimed[0].slice(0, 8) }, 'wrong short code: invite ended');
        await this.hooks.end(claimed[0], 'wrong-code').catch(() => {});
      }
      socket.end();
    }
  }
}
