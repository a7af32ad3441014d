/**
 * Taking conversation items other members' devices send (service.ts), in any order, duplicates
 * included: an item that arrives before what it needs waits in the pending table and is retried
 * when the missing piece arrives; a received outcome is re-evaluated here and a disagreement is
 * stored and shown, never taken.
 */
import {
  type ApplyOutcomeResult,
  CONVERSATION_LIMITS,
  Conversation,
  conversationIdOf,
  type Genesis,
  GenesisFormat,
  openEvent,
  openGenesis,
  openOutcome,
  type OutcomeRecord,
} from '@kith/core/conversation/index';
import { isKithError } from '@kith/core/errors';
import type { EventBus } from '../event-bus.ts';
import type { Logger } from '../logger.ts';
import type { ReceiveReport } from './conversation-types.ts';
import type { DeviceDirectory } from './device-directory.ts';
import type { LoadedConversation, LoadedConversations } from './loaded-conversations.ts';
import type { ConversationStore } from './store.ts';
import type { ConversationItemKind } from './sync.ts';

/** Pending items kept per conversation at most (beyond that, new ones are dropped). */
const MAX_PENDING_PER_CONVERSATION = CONVERSATION_LIMITS.maxEvents;
/** Pending items kept in all (items for conversations whose genesis never comes count here). */
const MAX_PENDING_TOTAL = 4 * CONVERSATION_LIMITS.maxEvents;
/** A pending item whose missing piece has not come in this long is dropped (as relays drop held items). */
const PENDING_TTL_MS = 14 * 24 * 3_600_000;

export interface ConversationReceiverDeps {
  /** This device's user. */
  userId: string;
  directory: DeviceDirectory;
  events: EventBus;
  log: Logger;
  now: () => number;
}

export class ConversationReceiver {
  constructor(
    private readonly store: ConversationStore,
    private readonly loaded: LoadedConversations,
    private readonly deps: ConversationReceiverDeps,
  ) {}

  private get log(): Logger {
    return this.deps.log;
  }

  private now(): number {
    return this.deps.now();
  }

  /** Tries every pending item again (after identity changes; at start); drops expired ones. */
  async retryOnce(): Promise<void> {
    const expired = await this.store.expirePending(new Date(this.now() - PENDING_TTL_MS));
    if (expired > 0) this.log.info({ expired }, 'pending conversation items expired');
    for (const id of await this.store.pendingConversations()) {
      for (const item of await this.store.pending(id, 'genesis')) {
        const r = await this.receive('genesis', item.bytes, item.fromUser, true);
        if (r.status !== 'pending' && r.status !== 'added')
          await this.store.removePending(id, 'genesis', [item.itemId]);
      }
      await this.loaded.guarded(id, async () => {
        const loaded = await this.loaded.load(id);
        if (loaded) await this.drain(loaded.conversation);
      });
    }
  }

  /**
   * Takes a conversation item shipped by another device (the messaging layer calls this for
   * every one, in any order, duplicates included). Never throws for what the item says: the
   * report tells what became of it. `fromUserId` is the user whose device sent it.
   */
  async receive(
    kind: ConversationItemKind,
    bytes: Uint8Array,
    fromUserId: string,
    retry = false,
  ): Promise<ReceiveReport> {
    try {
      if (fromUserId !== this.deps.userId && !(await this.deps.directory.isFriend(fromUserId)))
        return { status: 'ignored', conversation: null, code: 'NOT_A_FRIEND' };
      switch (kind) {
        case 'genesis':
          return await this.receiveGenesis(bytes, fromUserId, retry);
        case 'event':
          return await this.receiveEvent(bytes, fromUserId);
        case 'outcome':
          return await this.receiveOutcome(bytes, fromUserId);
        default:
          return { status: 'refused', conversation: null, code: 'INVALID_INPUT' };
      }
    } catch (err) {
      if (!isKithError(err)) throw err;
      this.log.warn({ kind, code: err.code }, 'a received conversation item was refused');
      return { status: 'refused', conversation: null, code: err.code };
    }
  }

  private async park(
    conversationId: string,
    kind: ConversationItemKind,
    itemId: string,
    bytes: Uint8Array,
    fromUser: string,
  ): Promise<ReceiveReport> {
    if (
      (await this.store.pendingCount(conversationId)) >= MAX_PENDING_PER_CONVERSATION ||
      (await this.store.pendingCount()) >= MAX_PENDING_TOTAL
    ) {
      this.log.warn({ conversation: conversationId, kind }, 'too many pending items: one dropped');
      return { status: 'refused', conversation: conversationId, code: 'CONVERSATION_TOO_LARGE' };
    }
    await this.store.addPending({ conversationId, kind, itemId, bytes, fromUser });
    return { status: 'pending', conversation: conversationId };
  }

  private async receiveGenesis(bytes: Uint8Array, fromUser: string, retry: boolean): Promise<ReceiveReport> {
    const id = conversationIdOf(GenesisFormat.decode(bytes).genesis);
    return this.loaded.guarded(id, async () => {
      if (await this.loaded.load(id)) return { status: 'duplicate', conversation: id };
      await this.loaded.refreshDevices();
      let genesis: Genesis;
      try {
        genesis = openGenesis(bytes, this.loaded.isDeviceOf);
      } catch (err) {
        // The creator's device may not be known yet (identity logs lag): wait for it.
        if (isKithError(err, 'CONVERSATION_UNKNOWN_DEVICE')) {
          if (retry) return { status: 'pending', conversation: id };
          return this.park(id, 'genesis', id, bytes, fromUser);
        }
        throw err;
      }
      const concerned =
        genesis.creator === this.deps.userId ||
        genesis.members.includes(this.deps.userId) ||
        (await this.store.pendingCount(id)) > 0;
      if (!concerned) return { status: 'ignored', conversation: id, code: 'CONVERSATION_NOT_A_MEMBER' };
      await this.store.insertConversation(id, bytes, genesis.createdAt);
      await this.store.removePending(id, 'genesis', [id]);
      const entry = {
        conversation: new Conversation(genesis, { isDeviceOf: this.loaded.isDeviceOf }),
        row: { id, status: 'open' as const, createdAt: new Date(genesis.createdAt), closedAt: null },
      };
      this.loaded.remember(entry);
      this.deps.events.publish('conversation.created', { id, here: false });
      await this.drain(entry.conversation);
      return { status: 'added', conversation: id };
    });
  }

  private async receiveEvent(bytes: Uint8Array, fromUser: string): Promise<ReceiveReport> {
    const event = openEvent(bytes);
    const id = event.conversation;
    return this.loaded.guarded(id, async () => {
      const loaded = await this.loaded.load(id);
      if (!loaded) return this.park(id, 'event', event.id, bytes, fromUser);
      const c = loaded.conversation;
      await this.loaded.refreshDevices();
      let status: 'added' | 'duplicate' | 'missing';
      try {
        status = c.receive(event).status;
      } catch (err) {
        if (isKithError(err, 'CONVERSATION_UNKNOWN_DEVICE'))
          return this.park(id, 'event', event.id, bytes, fromUser);
        if (isKithError(err)) {
          this.log.info({ conversation: id, code: err.code }, 'a received event was refused');
          return { status: 'refused', conversation: id, code: err.code };
        }
        throw err;
      }
      if (status === 'duplicate') return { status: 'duplicate', conversation: id };
      if (status === 'missing') return this.park(id, 'event', event.id, bytes, fromUser);
      try {
        await this.store.insertEvents(id, [{ id: event.id, bytes: event.bytes }]);
      } catch (err) {
        this.loaded.forget(id);
        throw err;
      }
      await this.drain(c);
      this.deps.events.publish('conversation.updated', { id, event: event.id, events: c.size });
      return { status: 'added', conversation: id };
    });
  }

  private async receiveOutcome(bytes: Uint8Array, fromUser: string): Promise<ReceiveReport> {
    const outcome = openOutcome(bytes);
    const id = outcome.conversation;
    return this.loaded.guarded(id, async () => {
      const loaded = await this.loaded.load(id);
      if (!loaded) return this.park(id, 'outcome', outcome.id, bytes, fromUser);
      if ((await this.store.outcomes(id)).some((o) => o.outcomeId === outcome.id))
        return { status: 'duplicate', conversation: id };
      await this.loaded.refreshDevices();
      const report = await this.applyOutcome(loaded, outcome);
      if (report.status === 'pending') await this.park(id, 'outcome', outcome.id, bytes, fromUser);
      return report;
    });
  }

  /** Re-evaluates a received outcome and keeps the verdict (inside the conversation's lock). */
  private async applyOutcome(entry: LoadedConversation, outcome: OutcomeRecord): Promise<ReceiveReport> {
    const c = entry.conversation;
    const id = c.id;
    const now = this.now();
    let r: ApplyOutcomeResult;
    try {
      r = c.applyOutcome(outcome, now);
    } catch (err) {
      if (!isKithError(err)) throw err;
      return { status: 'refused', conversation: id, code: err.code };
    }
    try {
      switch (r.status) {
        case 'closed':
          await this.store.close(
            id,
            { id: outcome.id, bytes: outcome.bytes },
            c.events().map((e) => e.id),
            r.dropped,
          );
          await this.store.removePending(id, 'outcome', [outcome.id]);
          entry.row.status = 'closed';
          entry.row.closedAt = new Date(now);
          this.deps.events.publish('conversation.closed', { id, outcome: outcome.id, here: false });
          return { status: 'closed', conversation: id };
        case 'duplicate':
          return { status: 'duplicate', conversation: id };
        case 'missing':
          return { status: 'pending', conversation: id };
        case 'conflict':
          await this.store.insertOutcome(id, outcome.id, 'conflict', outcome.bytes);
          await this.store.removePending(id, 'outcome', [outcome.id]);
          this.deps.events.publish('conversation.conflict', { id, outcome: outcome.id });
          this.log.warn({ conversation: id, outcome: outcome.id }, 'a second valid outcome for other heads');
          return { status: 'conflict', conversation: id };
        case 'disagree':
          await this.store.insertOutcome(id, outcome.id, 'disagree', outcome.bytes, {
            reason: r.reason,
            detail: r.detail,
          });
          await this.store.removePending(id, 'outcome', [outcome.id]);
          this.deps.events.publish('conversation.disagreement', {
            id,
            outcome: outcome.id,
            reason: r.reason,
          });
          this.log.warn(
            { conversation: id, outcome: outcome.id, reason: r.reason },
            'an outcome disagrees with the re-evaluation here',
          );
          return { status: 'disagree', conversation: id, reason: r.reason };
      }
    } catch (err) {
      this.loaded.forget(id);
      throw err;
    }
  }

  /** Retries what waits for this conversation: events (until nothing more is added), then outcomes. */
  async drain(c: Conversation): Promise<void> {
    const id = c.id;
    const events = await this.store.pending(id, 'event');
    if (events.length > 0) {
      const result = c.receiveAll(events.map((p) => p.bytes));
      const added = result.added.map((e) => c.get(e)!).filter((e) => e !== undefined);
      try {
        await this.store.insertEvents(
          id,
          added.map((e) => ({ id: e.id, bytes: e.bytes })),
        );
      } catch (err) {
        this.loaded.forget(id);
        throw err;
      }
      const waitForIdentity = new Set(
        result.refused
          .filter((r) => isKithError(r.error, 'CONVERSATION_UNKNOWN_DEVICE'))
          .map((r) => r.event.id),
      );
      const settled = new Set([
        ...result.added,
        ...result.duplicates,
        ...result.refused.map((r) => r.event.id),
      ]);
      await this.store.removePending(
        id,
        'event',
        events.map((p) => p.itemId).filter((e) => settled.has(e) && !waitForIdentity.has(e)),
      );
      for (const r of result.refused)
        if (!waitForIdentity.has(r.event.id))
          this.log.info({ conversation: id, code: r.error.code }, 'a pending event was refused');
      if (added.length > 0)
        this.deps.events.publish('conversation.updated', { id, events: c.size, added: added.length });
    }
    const entry = this.loaded.cached(id);
    if (!entry) return;
    for (const p of await this.store.pending(id, 'outcome')) {
      let outcome: OutcomeRecord;
      try {
        outcome = openOutcome(p.bytes);
      } catch {
        await this.store.removePending(id, 'outcome', [p.itemId]);
        continue;
      }
      const report = await this.applyOutcome(entry, outcome);
      if (report.status === 'refused') await this.store.removePending(id, 'outcome', [p.itemId]);
    }
  }
}
