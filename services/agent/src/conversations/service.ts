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
  Conversation,
  consensusFromRule,
  createGenesis,
  openGenesis,
  openOutcome,
  TEXT_KIND,
  VOTE_KIND,
} from '@kith/core/conversation/index';
import { KithError, isKithError } from '@kith/core/errors';
import { parseUserId } from '@kith/core/ids';
import type { Logger } from '../logger.ts';
import { ballotFromForm, type VoteForm } from './ballot-form.ts';
import { ConversationReceiver } from './conversation-receiver.ts';
import type {
  ConversationServiceOptions,
  CreateConversationInput,
  EvaluationView,
  ReceiveReport,
  RecordResult,
} from './conversation-types.ts';
import { LoadedConversations } from './loaded-conversations.ts';
import { type ConversationRow, type ConversationStatus, ConversationStore } from './store.ts';
import type { ConversationItemKind } from './sync.ts';
import {
  type ConversationListItem,
  type ConversationSummary,
  type ConversationView,
  conversationView,
  outcomeView,
  summaryOf,
} from './view.ts';

export type {
  ConversationServiceOptions,
  CreateConversationInput,
  EvaluationView,
  ReceiveReport,
  RecordResult,
} from './conversation-types.ts';

export class ConversationService {
  readonly name = 'conversations';
  private readonly store: ConversationStore;
  private readonly loaded: LoadedConversations;
  private readonly receiver: ConversationReceiver;
  private readonly log: Logger;
  private unsubscribe: (() => void) | undefined;
  private retrying: Promise<void> | undefined;
  private retryAgain = false;
  private shipping: Promise<void> | undefined;
  private reshipTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly options: ConversationServiceOptions) {
    this.store = new ConversationStore(options.db, options.storageKey, options.random, options.clock);
    this.log = options.logger.child({ part: 'conversations' });
    this.loaded = new LoadedConversations(
      this.store,
      options.directory,
      this.log,
      () => this.now(),
      options.cacheSize ?? 256,
    );
    this.receiver = new ConversationReceiver(this.store, this.loaded, {
      get userId() {
        return options.userId;
      },
      directory: options.directory,
      events: options.events,
      log: this.log,
      now: () => this.now(),
    });
  }

  get userId(): string {
    return this.options.userId;
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
    this.stopped = false;
    // In the background: messaging starts after this service, and its outbox keeps what it takes.
    this.shipInBackground();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reshipTimer);
    this.reshipTimer = undefined;
    this.unsubscribe?.();
    await this.retrying;
    await this.shipping;
    // Opened state leaves memory with the service (a lock stops it: docs/SECURITY.md).
    this.loaded.clear();
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
          await this.receiver.retryOnce();
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

  /** Who receives a conversation's items: members, the creator and this user's other devices. */
  private recipients(c: Conversation): string[] {
    return [...new Set([...c.members(), ...c.genesis.members, c.genesis.creator, this.userId])];
  }

  /**
   * Hands an item this device made (stored with its conversationUnshipped mark) to messaging,
   * then drops the mark: what messaging accepted, it retries itself.
   */
  private async publish(
    c: Conversation,
    kind: ConversationItemKind,
    itemId: string,
    bytes: Uint8Array,
  ): Promise<void> {
    try {
      await this.options.sync.publish(c.id, this.recipients(c), kind, bytes);
      await this.store.shipped(c.id, kind, itemId);
    } catch (err) {
      // Stored here already, and still marked: shipped again soon, and at the next start. Do not fail.
      this.log.warn(
        { conversation: c.id, kind, code: isKithError(err) ? err.code : undefined },
        'publishing failed',
      );
      this.scheduleReship();
    }
  }

  private shipInBackground(): void {
    this.shipping = this.shipUnshipped()
      .then(() => undefined)
      .catch((err) => {
        this.log.warn({ code: isKithError(err) ? err.code : undefined }, 'shipping unshipped items failed');
        this.scheduleReship();
      });
  }

  /**
   * One timer for every failed hand-over: an always-on device whose outbox refused an item (a
   * full disk, a database hiccup) must not keep it, and what is built on it, until a restart.
   */
  private scheduleReship(): void {
    if (this.stopped || this.reshipTimer) return;
    this.reshipTimer = setTimeout(() => {
      this.reshipTimer = undefined;
      if (!this.stopped) this.shipInBackground();
    }, this.options.reshipAfterMs ?? 60_000);
    this.reshipTimer.unref?.();
  }

  /**
   * Ships what this device made and stored but was stopped (or failed) before handing to
   * messaging (conversationUnshipped): without it, that item and every later one of ours built
   * on it would never be taken elsewhere. Duplicates are taken once.
   */
  async shipUnshipped(): Promise<number> {
    const items = await this.store.unshipped();
    for (const item of items) {
      const loaded = await this.loaded.guarded(item.conversationId, () =>
        this.loaded.load(item.conversationId),
      );
      if (!loaded) {
        await this.store.shipped(item.conversationId, item.kind, item.itemId); // no longer here
        continue;
      }
      await this.publish(loaded.conversation, item.kind, item.itemId, item.bytes);
    }
    if (items.length) this.log.info({ items: items.length }, 'shipped items left unshipped');
    return items.length;
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
    const conversation = new Conversation(genesis, { isDeviceOf: this.loaded.isDeviceOf });
    const row: ConversationRow = { id: genesis.id, status: 'open', createdAt: new Date(now), closedAt: null };
    await this.loaded.guarded(genesis.id, async () => {
      await this.store.insertConversation(genesis.id, genesis.bytes, genesis.createdAt, true);
      this.loaded.remember({ conversation, row });
    });
    await this.publish(conversation, 'genesis', genesis.id, genesis.bytes);
    this.options.events.publish('conversation.created', { id: genesis.id, here: true });
    return summaryOf(genesis, row, this.options.device.publicKey);
  }

  /** A plain text message: the pattern's text kind (TEXT_KIND), body `{ text }`. */
  async post(id: string, text: string): Promise<{ id: string; conversation: string }> {
    return this.append(id, (c) => ({ kind: TEXT_KIND[c.genesis.pattern.name], body: { text } }));
  }

  /** A debate argument for or against one claim (core checks it names exactly one). */
  async argue(
    id: string,
    a: { side: 'for' | 'against'; text: string; option?: string; target?: string },
  ): Promise<{ id: string; conversation: string }> {
    return this.append(id, () => ({ kind: 'argument', body: { ...a } }));
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
    const { conversation: c, event } = await this.loaded.guarded(id, async () => {
      const { conversation } = await this.loaded.mustLoad(id);
      await this.loaded.refreshDevices();
      const { kind, body } = make(conversation);
      const posted = conversation.post(this.signer, kind, body, this.now());
      try {
        await this.store.insertEvents(id, [{ id: posted.id, bytes: posted.bytes }], true);
      } catch (err) {
        this.loaded.forget(id);
        throw err;
      }
      return { conversation, event: posted };
    });
    await this.publish(c, 'event', event.id, event.bytes);
    this.options.events.publish('conversation.updated', { id, event: event.id, events: c.size });
    return { id: event.id, conversation: id };
  }

  /**
   * Evaluates now and, if the method is done, signs the outcome with this device, closes the
   * conversation and ships the outcome (the consensus worker calls this). Already closed: the
   * outcome that closed it, `recorded: false`. Not done: CONVERSATION_NOT_DONE.
   */
  async recordOutcome(id: string): Promise<RecordResult> {
    const result = await this.loaded.guarded(id, async () => {
      const { conversation: c, row } = await this.loaded.mustLoad(id);
      if (c.outcome !== null) return { recorded: false, c, outcome: c.outcome };
      await this.loaded.refreshDevices();
      const now = this.now();
      const outcome = c.recordOutcome(this.signer, now);
      if (outcome === null) throw new KithError('CONVERSATION_NOT_DONE');
      try {
        await this.store.close(
          id,
          { id: outcome.id, bytes: outcome.bytes },
          c.events().map((e) => e.id),
          [],
          true,
        );
      } catch (err) {
        this.loaded.forget(id);
        throw err;
      }
      row.status = 'closed';
      row.closedAt = new Date(now);
      return { recorded: true, c, outcome };
    });
    if (result.recorded) {
      await this.publish(result.c, 'outcome', result.outcome.id, result.outcome.bytes);
      this.options.events.publish('conversation.closed', { id, outcome: result.outcome.id, here: true });
    }
    return { recorded: result.recorded, outcome: outcomeView(result.outcome) };
  }

  // --- reading ------------------------------------------------------------------------------

  async show(id: string): Promise<ConversationView> {
    return this.loaded.guarded(id, async () => {
      const { conversation, row } = await this.loaded.mustLoad(id);
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
    return this.loaded.guarded(id, async () => {
      const { conversation: c, row } = await this.loaded.mustLoad(id);
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

  async list(status?: ConversationStatus): Promise<ConversationListItem[]> {
    const [rows, activity] = await Promise.all([this.store.list(status), this.store.activity()]);
    if (rows.some((row) => !this.loaded.geneses.has(row.id))) await this.loaded.refreshDevices();
    return rows.map((row) => {
      let genesis = this.loaded.geneses.get(row.id);
      if (genesis === undefined) {
        genesis = openGenesis(row.genesis, this.loaded.isDeviceOf);
        this.loaded.geneses.set(row.id, genesis);
      }
      const a = activity.get(row.id);
      const lastAt = a?.lastAt ?? row.createdAt;
      return {
        ...summaryOf(genesis, row, this.options.device.publicKey),
        events: a?.events ?? 0,
        lastActivityAt: lastAt.toISOString(),
      };
    });
  }

  /** Current members of a conversation held here (for messaging: who a message goes to). */
  async members(id: string): Promise<string[]> {
    return this.loaded.guarded(id, async () =>
      this.recipients((await this.loaded.mustLoad(id)).conversation),
    );
  }

  // --- receiving ----------------------------------------------------------------------------

  /**
   * Takes a conversation item shipped by another device (the messaging layer calls this for
   * every one, in any order, duplicates included). Never throws for what the item says: the
   * report tells what became of it. `fromUserId` is the user whose device sent it.
   */
  receive(
    kind: ConversationItemKind,
    bytes: Uint8Array,
    fromUserId: string,
    retry = false,
  ): Promise<ReceiveReport> {
    return this.receiver.receive(kind, bytes, fromUserId, retry);
  }
}
