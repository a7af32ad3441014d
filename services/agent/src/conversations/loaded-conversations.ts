/**
 * The conversations this service has opened (service.ts): loaded from the store and replayed
 * (re-verified) once, kept in a small LRU cache, and changed one task at a time per
 * conversation. Also the identity answer the model asks (a snapshot of the device directory).
 */
import { Conversation, type Genesis, type IsDeviceOf, openOutcome } from '@kith/core/conversation/index';
import { KithError, isKithError } from '@kith/core/errors';
import type { Logger } from '../logger.ts';
import type { DeviceDirectory } from './device-directory.ts';
import { KeyedLock } from './keyed-lock.ts';
import type { ConversationRow, ConversationStore } from './store.ts';

export type LoadedConversation = { conversation: Conversation; row: ConversationRow };

export class LoadedConversations {
  private readonly lock = new KeyedLock();
  private readonly cache = new Map<string, LoadedConversation>();
  /** Geneses opened here, by conversation id (the list reads them without loading events). */
  readonly geneses = new Map<string, Genesis>();
  private knownDevices: IsDeviceOf = () => false;

  constructor(
    private readonly store: ConversationStore,
    private readonly directory: DeviceDirectory,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly cacheSize: number,
  ) {}

  /** The identity answer the model asks (read through the latest snapshot). */
  readonly isDeviceOf: IsDeviceOf = (userId, key) => this.knownDevices(userId, key);

  async refreshDevices(): Promise<void> {
    this.knownDevices = await this.directory.snapshot();
  }

  /** The cached entry, if this conversation is in memory (no load). */
  cached(id: string): LoadedConversation | undefined {
    return this.cache.get(id);
  }

  /** Opened state leaves memory (a lock stops the service: docs/SECURITY.md). */
  clear(): void {
    this.cache.clear();
    this.geneses.clear();
  }

  /** The conversation from the cache or the store (re-verified), or undefined if not here. */
  async load(id: string): Promise<LoadedConversation | undefined> {
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

  async mustLoad(id: string) {
    const loaded = await this.load(id);
    if (!loaded) throw new KithError('CONVERSATION_UNKNOWN', `No conversation ${id}.`);
    return loaded;
  }

  remember(entry: LoadedConversation): void {
    this.cache.set(entry.conversation.id, entry);
    this.geneses.set(entry.conversation.id, entry.conversation.genesis);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  /** After a failed write the in-memory model may be ahead of the store: reload next time. */
  forget(id: string): void {
    this.cache.delete(id);
  }

  async guarded<T>(id: string, task: () => Promise<T>): Promise<T> {
    return this.lock.run(id, async () => {
      try {
        return await task();
      } catch (err) {
        if (!isKithError(err)) this.forget(id);
        throw err;
      }
    });
  }
}
