/**
 * The pairing's own link, kept up while the six digits are being compared (docs/PROTOCOL.md §9
 * step 5). When one side's person rejects (or the pairing runs out) that side sends
 * `pair-reject` on it, so the other side's pending pairing ends too and its person is told,
 * instead of waiting on a pairing that can never become a friendship. A confirm sends nothing:
 * the link is let go once the friend's regular link comes up (both confirmed), when either side
 * closes it, or when the pairing expires.
 *
 * Nothing else is read from this link: any other message closes it.
 */
import type { EndedPairing } from '@kith/core/pairing/ended-pairing';
import { decodeMessage } from '@kith/core/wire/message';
import { PairRejectMessage } from '@kith/core/wire/pair-reject';
import type { AgentEvent } from '../event-bus.ts';
import type { Link } from '../link/link.ts';
import type { PeerNode } from './peer-node.ts';

export type RejectReason = EndedPairing['reason'];

interface Held {
  link: Link;
  timer: ReturnType<typeof setTimeout>;
}

export class PairingLinks {
  private readonly held = new Map<string, Held>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly node: PeerNode,
    /** The other side rejected (or let it expire): end this side's pairing too. */
    private readonly onTheirReject: (userId: string, reason: RejectReason) => Promise<void>,
  ) {}

  /** Keeps `link` (to `userId`'s pairing device) up for at most `forMs`. */
  hold(userId: string, link: Link, forMs: number): void {
    if (!link.isOpen) return;
    this.release(userId);
    this.unsubscribe ??= this.node.options.events.subscribe((e) => this.onEvent(e));
    const timer = setTimeout(() => this.release(userId, link), forMs);
    timer.unref?.();
    this.held.set(userId, { link, timer });
    link.on('message', (bytes) => {
      let reason: RejectReason | undefined;
      try {
        reason = decodeMessage(bytes, [PairRejectMessage]).reason;
      } catch {}
      this.release(userId, link);
      if (!reason) return;
      this.onTheirReject(userId, reason).catch((err) =>
        this.node.log.warn({ err, user: userId }, 'ending a pairing the other side rejected failed'),
      );
    });
    link.once('close', () => this.forget(userId, link));
  }

  /** Tells the other side, if the pairing's link is still up; true when it was sent. */
  tell(userId: string, reason: RejectReason): boolean {
    const held = this.held.get(userId);
    if (!held) return false;
    this.forget(userId, held.link);
    let sent = false;
    try {
      held.link.send(PairRejectMessage.encode({ v: 1, t: 'pair-reject', reason }));
      sent = true;
    } catch {}
    // Let the message flush before the close.
    setTimeout(() => held.link.close(), 500).unref?.();
    return sent;
  }

  /** Lets the link of `userId`'s pairing go (only that link, when given). */
  release(userId: string, link?: Link): void {
    const held = this.held.get(userId);
    if (!held || (link && held.link !== link)) return;
    this.forget(userId, held.link);
    held.link.close();
  }

  isHeld(userId: string): boolean {
    return this.held.has(userId);
  }

  stop(): void {
    for (const userId of [...this.held.keys()]) this.release(userId);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private forget(userId: string, link: Link): void {
    const held = this.held.get(userId);
    if (!held || held.link !== link) return;
    clearTimeout(held.timer);
    this.held.delete(userId);
  }

  private onEvent(e: AgentEvent): void {
    // A regular link to them: both sides confirmed, the pairing's link has done its work.
    if (e.type === 'peer.online' && typeof e.data.userId === 'string') this.release(e.data.userId);
  }
}
