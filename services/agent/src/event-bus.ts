import type { Clock } from './components.ts';
import type { Logger } from './logger.ts';

/**
 * A tiny in-process event bus. Parts of the agent publish what a user would want to see live
 * (a peer came online, a message arrived, an invite was used); the local API streams every
 * event to `/api/events` subscribers. Data must be JSON-safe and never carry key material or
 * plaintext: ids, counts and states only.
 */
export interface AgentEvent {
  /** Dotted name, part first: `peer.online`, `message.received`, `invite.used`. */
  type: string;
  /** Clock time of publication, ms since the epoch. */
  at: number;
  data: Record<string, unknown>;
}

export type EventListener = (event: AgentEvent) => void;

export class EventBus {
  readonly #listeners = new Set<EventListener>();
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;

  constructor(options: { clock: Clock; logger?: Logger }) {
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  publish(type: string, data: Record<string, unknown> = {}): AgentEvent {
    const event: AgentEvent = { type, at: this.#clock(), data };
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        // One failing subscriber must not stop the publisher or the others.
        this.#logger?.warn({ err, event: type }, 'an event listener failed');
      }
    }
    return event;
  }

  /** Returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
