/**
 * Conversations on this device (docs/DESIGN.md §8): create (a signed genesis), post and vote (signed
 * events), record the outcome when the method is done (for the consensus worker: the keys live
 * here), and take what other members' devices send, in any order. Built on the pure model
 * (@kith/core/conversation); this service adds storage (sealed at rest, store.ts), shipping to
 * members (sync.ts), and the identity answers the model asks for (device-directory.ts).
 *
 * Received items may arrive before what they need: an event before its genesis or parents, an
 * outcome before the events it evaluated, a genesis before its creator's device is known. They
 * wait in the pending table and are retried when the missing piece arrives (or the identity
 * logs change). Duplicates are normal and harmless. A received outcome is re-evaluated here
 * (verifyOutcome); a disagreement is stored and shown, never taken.
 */
import type { CanonicalValue } from '@kith/core/codec';
import {
  type ApplyOutcomeResult,
  Conversation,
  conversationIdOf,
  consensusFromRule,
  createGenesis,
  GenesisFormat,
  type Genesis,
  type IsDeviceOf,
  type MembershipRule,
  openEvent,
  openGenesis,
  openOutcome,
  type OutcomeRecord,
  TEXT_KIND,
  VOTE_KIND,
  CONVERSATION_LIMITS,
} from '@kith/core/conversation/index';
import type { MethodResult } from '@kith/core/consensus/index';
import type { RandomSource } from '@kith/core/crypto/index';
import { KithError, isKithError } from '@kith/core/errors';
import type { SigningKeyPair } from '@kith/core/identity/derive';
import { parseUserId } from '@kith/core/ids';
import type { Clock } from '../components.ts';
import type { KithDb } from '@kith/db/database';
import type { EventBus } from '../event-bus.ts';
import type { Logger } from '../logger.ts';
import { ballotFromForm, type VoteForm } from './ballot-form.ts';
import type { DeviceDirectory } from './device-directory.ts';
import { KeyedLock } from './keyed-lock.ts';
import {
  type ConversationRow,
  type ConversationStatus,
  ConversationStore,
  type StorageKeySource,
} from './store.ts';
import type { ConversationItemKind, ConversationSync } from './sync.ts';
import {
  type ConversationSummary,
  type ConversationView,
  conversationView,
  type OutcomeView,
  outcomeView,
  summaryOf,
} from './view.ts';

export interface ConversationServiceOptions {
  db: KithDb;
  /** This device's user. */
  userId: string;
  /** This device's signing key pair (signs genesis, events, outcomes). */
  device: SigningKeyPair;
  /** 32-byte key sealing everything at rest. */
  storageKey: StorageKeySource;
  directory: DeviceDirectory;
  sync: ConversationSync;
  events: EventBus;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  /** Conversations kept in memory (least recently used are dropped; they reload from the store). */
  cacheSize?: number;
}

export interface CreateConversationInput {
  topic: string;
  pattern: string;
  patternParams?: Record<string, CanonicalValue>;
  /** A built-in method (docs/CONSENSUS.md) with its params; or `rule`. */
  method?: string;
  /** Method params; with `rule`, extra params of the `cel` method (`winner`, `passed`, `accepts`, `rules`). */
  params?: Record<string, CanonicalValue>;
  /** A custom CEL rule: the conversation is done when it is true. */
  rule?: string;
  options?: string[];
  /** User ids: this user or friends. */
  members: string[];
  /** ms since the epoch. */
  deadline?: number | null;
  membership?: MembershipRule;
}

/** What became of a received item. */
export type ReceiveReport =
  | { status: 'added' | 'duplicate' | 'pending' | 'closed' | 'conflict'; conversation: string }
  | { status: 'disagree'; conversation: string; reason: string }
  | { status: 'ignored' | 'refused'; conversation: string | null; code?: string };

/** What the consensus worker needs to decide whether to record. */
export interface EvaluationView {
  id: string;
  status: ConversationStatus;
  done: boolean;
  result: MethodResult;
  deadline: string | null;
  createdHere: boolean;
  heads: string[];
  events: number;
}

export interface RecordResult {
  /** False when the conversation was already closed (by this device or another). */
  recorded: boolean;
  outcome: OutcomeView;
}

/** Pending items kept per conversation at most (beyond that, new ones are dropped). */
const MAX_PENDING_PER_CONVERSATION = CONVERSATION_LIMITS.maxEvents;
/** Pending items kept in all (items for conversations whose genesis never comes count here). */
const MAX_PENDING_TOTAL = 4 * CONVERSATION_LIMITS.maxEvents;
/** A pending item whose missing piece has not come in this long is dropped (as relays drop held items). */
const PENDING_TTL_MS = 14 * 24 * 3_600_000;

export class ConversationService {
  readonly name = 'conversations';
  private readonly store: ConversationStore;
  private readonly lock = new KeyedLock();
  private readonly cache = new Map<string, { conversation: Conversation; row: ConversationRow }>();
  private readonly geneses = new Map<string, Genesis>();
  private readonly log: Logger;
  private readonly cacheSize: number;
  private knownDevices: IsDeviceOf = () => false;
  private unsubscribe: (() => void) | undefined;
  private retrying: Promise<void> | undefined;
  private retryAgain = false;

  constructor(private readonly options: ConversationServiceOptions) {
    this.store = new ConversationStore(options.db, options.storageKey, options.random, options.clock);
    this.log = options.logger.child({ part: 'conversations' });
    this.cacheSize = options.cacheSize ?? 256;
  }

  get userId(): string {
    return this.options.userId;
  }

  /** The identity answer the model asks (read through the latest snapshot). */
  private readonly isDeviceOf: IsDeviceOf = (userId, key) => this.knownDevices(userId, key);

  private async refreshDevices(): Promise<void> {
    this.knownDevices = await this.options.directory.snapshot();
  }

  private get signer() {
    return { userId: this.options.userId, device: this.options.device };
  }

  private now(): number {
    return this.options.clock();
  }

  // --- lifetime (AgentService) --------------------------------------------------------------

  /** Retries items that wait for an identity (a friend's new device) whenever the logs change. */
  async start(): Promise<void> {
    this.unsubscribe = this.options.events.subscribe((e) => {
      if (e.type === 'identity.updated' || e.type === 'friend.added') void this.retryPending();
    });
    await this.retryPending();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.retrying;
    // Opened state leaves memory with the service (a lock stops it: docs/SECURITY.md).
    this.cache.clear();
    this.geneses.clear();
  }

  /** Tries every pending item again (after identity changes; at start). */
  retryPending(): Promise<void> {
    if (this.retrying) {
      this.retryAgain = true;
      return this.retrying;
    }
    this.retrying = (async () => {
      try {
        do {
          this.retryAgain = false;
          await this.retryOnce();
        } while (this.retryAgain);
      } catch (err) {
        this.log.warn(
          { code: isKithError(err) ? err.code : undefined, err },
          'retrying pending items failed',
        );
      } finally {
        this.retrying = undefined;
      }
    })();
    return this.retrying;
  }

  private async retryOnce(): Promise<void> {
    const expired = await this.store.expirePending(new Date(this.now() - PENDING_TTL_MS));
    if (expired > 0) this.log.info({ expired }, 'pending conversation items expired');
    for (const id of await this.store.pendingConversations()) {
      for (const item of await this.store.pending(id, 'genesis')) {
        const r = await this.receive('genesis', item.bytes, item.fromUser, true);
        if (r.status !== 'pending' && r.status !== 'added')
          await this.store.removePending(id, 'genesis', [item.itemId]);
      }
      await this.guarded(id, async () => {
        const loaded = await this.load(id);
        if (loaded) await this.drain(loaded.conversation);
      });
    }
  }

  // --- loading ------------------------------------------------------------------------------

  /** The conversation from the cache or the store (re-verified), or undefined if not here. */
  private async load(id: string): Promise<{ conversation: Conversation; row: ConversationRow } | undefined> {
    const cached = this.cache.get(id);
    if (cached) {
      this.cache.delete(id);
      this.cache.set(id, cached);
      return cached;
    }
    const stored = await this.store.conversation(id);
    if (!stored) return undefined;
    await this.refreshDevices();
    const conversation = Conversation.open(stored.genesis, { isDeviceOf: this.isDeviceOf });
    const result = conversation.receiveAll(await this.store.events(id));
    if (result.refused.length > 0 || result.pending.length > 0)
      this.log.error(
        { conversation: id, refused: result.refused.length, pending: result.pending.length },
        'stored events did not all replay',
      );
    const now = this.now();
    // The accepted outcome first (it closed the conversation), then the conflicts beside it.
    const outcomes = (await this.store.outcomes(id)).filter((o) => o.verdict !== 'disagree');
    outcomes.sort((x, y) => Number(y.verdict === 'accepted') - Number(x.verdict === 'accepted'));
    for (const o of outcomes) {
      const r = conversation.applyOutcome(o.bytes, Math.max(now, openOutcome(o.bytes).evaluatedAt));
      const expected = o.verdict === 'accepted' ? 'closed' : 'conflict';
      if (r.status !== expected)
        this.log.error(
          { conversation: id, outcome: o.outcomeId, status: r.status },
          'a stored outcome did not replay',
        );
    }
    const entry = {
      conversation,
      row: { id, status: stored.status, createdAt: stored.createdAt, closedAt: stored.closedAt },
    };
    this.remember(entry);
    return entry;
  }

  private async mustLoad(id: string) {
    const loaded = await this.load(id);
    if (!loaded) throw new KithError('CONVERSATION_UNKNOWN', `No conversation ${id}.`);
    return loaded;
  }

  private remember(entry: { conversation: Conversation; row: ConversationRow }): void {
    this.cache.set(entry.conversation.id, entry);
    this.geneses.set(entry.conversation.id, entry.conversation.genesis);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  /** After a failed write the in-memory model may be ahead of the store: reload next time. */
  private forget(id: string): void {
    this.cache.delete(id);
  }

  private async guarded<T>(id: string, task: () => Promise<T>): Promise<T> {
    return this.lock.run(id, async () => {
      try {
        return await task();
      } catch (err) {
        if (!isKithError(err)) this.forget(id);
        throw err;
      }
    });
  }

  /** Who receives a conversation's items: members, the creator and this user's other devices. */
  private recipients(c: Conversation): string[] {
    return [...new Set([...c.members(), ...c.genesis.members, c.genesis.creator, this.userId])];
  }

  private async publish(c: Conversation, kind: ConversationItemKind, bytes: Uint8Array): Promise<void> {
    try {
      await this.options.sync.publish(c.id, this.recipients(c), kind, bytes);
    } catch (err) {
      // Stored here already; the messaging layer retries what it accepted. Say so, do not fail.
      this.log.warn(
        { conversation: c.id, kind, code: isKithError(err) ? err.code : undefined },
        'publishing failed',
      );
    }
  }

  // --- making -------------------------------------------------------------------------------

  async create(input: CreateConversationInput): Promise<ConversationSummary> {
    if ((input.method === undefined) === (input.rule === undefined))
      throw new KithError(
        'INVALID_INPUT',
        'Give a consensus method or a custom rule, not both and not neither.',
      );
    const members = input.members.map((m) => parseUserId(m));
    for (const m of new Set(members))
      if (m !== this.userId && !(await this.options.directory.isFriend(m)))
        throw new KithError('NOT_A_FRIEND', `Member ${m} is neither you nor a friend.`);
    const consensus =
      input.rule !== undefined
        ? {
            method: 'cel',
            params: {
              ...(consensusFromRule(input.rule, input.pattern).params as Record<string, CanonicalValue>),
              ...(input.params ?? {}),
            },
          }
        : { method: input.method!, params: input.params ?? null };
    const now = this.now();
    const genesis = createGenesis(
      {
        topic: input.topic,
        creator: this.userId,
        members,
        pattern: input.pattern,
        ...(input.patternParams ? { patternParams: input.patternParams } : {}),
        consensus,
        options: input.options ?? [],
        deadline: input.deadline ?? null,
        createdAt: now,
        ...(input.membership ? { membership: input.membership } : {}),
      },
      this.options.device,
      this.options.random,
    );
    const conversation = new Conversation(genesis, { isDeviceOf: this.isDeviceOf });
    const row: ConversationRow = { id: genesis.id, status: 'open', createdAt: new Date(now), closedAt: null };
    await this.guarded(genesis.id, async () => {
      await this.store.insertConversation(genesis.id, genesis.bytes, genesis.createdAt);
      this.remember({ conversation, row });
    });
    await this.publish(conversation, 'genesis', genesis.bytes);
    this.options.events.publish('conversation.created', { id: genesis.id, here: true });
    return summaryOf(genesis, row, this.options.device.publicKey);
  }

  /** A plain text message: the pattern's text kind (TEXT_KIND), body `{ text }`. */
  async post(id: string, text: string): Promise<{ id: string; conversation: string }> {
    return this.append(id, (c) => ({ kind: TEXT_KIND[c.genesis.pattern.name], body: { text } }));
  }

  async vote(id: string, form: VoteForm): Promise<{ id: string; conversation: string }> {
    return this.append(id, (c) => ({
      kind: VOTE_KIND,
      body: { ballot: ballotFromForm(form, c.genesis) as unknown as CanonicalValue },
    }));
  }

  private async append(
    id: string,
    make: (c: Conversation) => { kind: string; body: Record<string, CanonicalValue> },
  ): Promise<{ id: string; conversation: string }> {
    const { conversation: c, event } = await this.guarded(id, async () => {
      const { conversation } = await this.mustLoad(id);
      await this.refreshDevices();
      const { kind, body } = make(conversation);
      const posted = conversation.post(this.signer, kind, body, this.now());
      try {
        await this.store.insertEvents(id, [{ id: posted.id, bytes: posted.bytes }]);
      } catch (err) {
        this.forget(id);
        throw err;
      }
      return { conversation, event: posted };
    });
    await this.publish(c, 'event', event.bytes);
    this.options.events.publish('conversation.updated', { id, event: event.id, events: c.size });
    return { id: event.id, conversation: id };
  }

  /**
   * Evaluates now and, if the method is done, signs the outcome with this device, closes the
   * conversation and ships the outcome (the consensus worker calls this). Already closed: the
   * outcome that closed it, `recorded: false`. Not done: CONVERSATION_NOT_DONE.
   */
  async recordOutcome(id: string): Promise<RecordResult> {
    const result = await this.guarded(id, async () => {
      const { conversation: c, row } = await this.mustLoad(id);
      if (c.outcome !== null) return { recorded: false, c, outcome: c.outcome };
      await this.refreshDevices();
      const now = this.now();
      const outcome = c.recordOutcome(this.signer, now);
      if (outcome === null) throw new KithError('CONVERSATION_NOT_DONE');
      try {
        await this.store.close(
          id,
          { id: outcome.id, bytes: outcome.bytes },
          c.events().map((e) => e.id),
          [],
        );
      } catch (err) {
        this.forget(id);
        throw err;
      }
      row.status = 'closed';
      row.closedAt = new Date(now);
      return { recorded: true, c, outcome };
    });
    if (result.recorded) {
      await this.publish(result.c, 'outcome', result.outcome.bytes);
      this.options.events.publish('conversation.closed', { id, outcome: result.outcome.id, here: true });
    }
    return { recorded: result.recorded, outcome: outcomeView(result.outcome) };
  }

  // --- reading ------------------------------------------------------------------------------

  async show(id: string): Promise<ConversationView> {
    return this.guarded(id, async () => {
      const { conversation, row } = await this.mustLoad(id);
      const stored = await this.store.outcomes(id);
      const disagreements = stored
        .filter((s) => s.verdict === 'disagree')
        .map((s) => ({ outcome: openOutcome(s.bytes), stored: s }));
      return conversationView(
        conversation,
        row,
        this.options.device.publicKey,
        this.now(),
        disagreements,
        await this.store.pendingCount(id),
      );
    });
  }

  /** For the worker: done now? (open) — cheap compared with `show`. */
  async evaluation(id: string): Promise<EvaluationView> {
    return this.guarded(id, async () => {
      const { conversation: c, row } = await this.mustLoad(id);
      const e = c.evaluate(c.outcome === null ? this.now() : c.outcome.evaluatedAt);
      const summary = summaryOf(c.genesis, row, this.options.device.publicKey);
      return {
        id,
        status: row.status,
        done: e.done,
        result: e.result,
        deadline: summary.deadline,
        createdHere: summary.createdHere,
        heads: e.heads,
        events: e.events,
      };
    });
  }

  async list(status?: ConversationStatus): Promise<ConversationSummary[]> {
    const rows = await this.store.list(status);
    if (rows.some((row) => !this.geneses.has(row.id))) await this.refreshDevices();
    return rows.map((row) => {
      let genesis = this.geneses.get(row.id);
      if (genesis === undefined) {
        genesis = openGenesis(row.genesis, this.isDeviceOf);
        this.geneses.set(row.id, genesis);
      }
      return summaryOf(genesis, row, this.options.device.publicKey);
    });
  }

  /** Current members of a conversation held here (for messaging: who a message goes to). */
  async members(id: string): Promise<string[]> {
    return this.guarded(id, async () => this.recipients((await this.mustLoad(id)).conversation));
  }

  // --- receiving ----------------------------------------------------------------------------

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
      if (fromUserId !== this.userId && !(await this.options.directory.isFriend(fromUserId)))
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
    return this.guarded(id, async () => {
      if (await this.load(id)) return { status: 'duplicate', conversation: id };
      await this.refreshDevices();
      let genesis: Genesis;
      try {
        genesis = openGenesis(bytes, this.isDeviceOf);
      } catch (err) {
        // The creator's device may not be known yet (identity logs lag): wait for it.
        if (isKithError(err, 'CONVERSATION_UNKNOWN_DEVICE')) {
          if (retry) return { status: 'pending', conversation: id };
          return this.park(id, 'genesis', id, bytes, fromUser);
        }
        throw err;
      }
      const concerned =
        genesis.creator === this.userId ||
        genesis.members.includes(this.userId) ||
        (await this.store.pendingCount(id)) > 0;
      if (!concerned) return { status: 'ignored', conversation: id, code: 'CONVERSATION_NOT_A_MEMBER' };
      await this.store.insertConversation(id, bytes, genesis.createdAt);
      await this.store.removePending(id, 'genesis', [id]);
      const entry = {
        conversation: new Conversation(genesis, { isDeviceOf: this.isDeviceOf }),
        row: { id, status: 'open' as const, createdAt: new Date(genesis.createdAt), closedAt: null },
      };
      this.remember(entry);
      this.options.events.publish('conversation.created', { id, here: false });
      await this.drain(entry.conversation);
      return { status: 'added', conversation: id };
    });
  }

  private async receiveEvent(bytes: Uint8Array, fromUser: string): Promise<ReceiveReport> {
    const event = openEvent(bytes);
    const id = event.conversation;
    return this.guarded(id, async () => {
      const loaded = await this.load(id);
      if (!loaded) return this.park(id, 'event', event.id, bytes, fromUser);
      const c = loaded.conversation;
      await this.refreshDevices();
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
        this.forget(id);
        throw err;
      }
      await this.drain(c);
      this.options.events.publish('conversation.updated', { id, event: event.id, events: c.size });
      return { status: 'added', conversation: id };
    });
  }

  private async receiveOutcome(bytes: Uint8Array, fromUser: string): Promise<ReceiveReport> {
    const outcome = openOutcome(bytes);
    const id = outcome.conversation;
    return this.guarded(id, async () => {
      const loaded = await this.load(id);
      if (!loaded) return this.park(id, 'outcome', outcome.id, bytes, fromUser);
      if ((await this.store.outcomes(id)).some((o) => o.outcomeId === outcome.id))
        return { status: 'duplicate', conversation: id };
      await this.refreshDevices();
      const report = await this.applyOutcome(loaded, outcome);
      if (report.status === 'pending') await this.park(id, 'outcome', outcome.id, bytes, fromUser);
      return report;
    });
  }

  /** Re-evaluates a received outcome and keeps the verdict (inside the conversation's lock). */
  private async applyOutcome(
    entry: { conversation: Conversation; row: ConversationRow },
    outcome: OutcomeRecord,
  ): Promise<ReceiveReport> {
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
          this.options.events.publish('conversation.closed', { id, outcome: outcome.id, here: false });
          return { status: 'closed', conversation: id };
        case 'duplicate':
          return { status: 'duplicate', conversation: id };
        case 'missing':
          return { status: 'pending', conversation: id };
        case 'conflict':
          await this.store.insertOutcome(id, outcome.id, 'conflict', outcome.bytes);
          await this.store.removePending(id, 'outcome', [outcome.id]);
          this.options.events.publish('conversation.conflict', { id, outcome: outcome.id });
          this.log.warn({ conversation: id, outcome: outcome.id }, 'a second valid outcome for other heads');
          return { status: 'conflict', conversation: id };
        case 'disagree':
          await this.store.insertOutcome(id, outcome.id, 'disagree', outcome.bytes, {
            reason: r.reason,
            detail: r.detail,
          });
          await this.store.removePending(id, 'outcome', [outcome.id]);
          this.options.events.publish('conversation.disagreement', {
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
      this.forget(id);
      throw err;
    }
  }

  /** Retries what waits for this conversation: events (until nothing more is added), then outcomes. */
  private async drain(c: Conversation): Promise<void> {
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
        this.forget(id);
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
        this.options.events.publish('conversation.updated', { id, events: c.size, added: added.length });
    }
    const entry = this.cache.get(id);
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
