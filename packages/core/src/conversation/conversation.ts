/**
 * One conversation as a member's node holds it (docs/DESIGN.md §8): the verified genesis, the accepted
 * events, and the outcome once one is recorded. Pure: no clock (`now` and `createdAt` are
 * arguments), no I/O; the caller stores the bytes and sends them.
 *
 * Receiving: an event is opened (signature), its device must be its author's (the caller's
 * `isDeviceOf`, from the identity logs), its parents must be known (else status 'missing':
 * buffer it and retry when they arrive), and it must follow the rules (else a KithError).
 * Closing: after an outcome is recorded, only events it evaluated are still accepted (a node
 * catching up); every other event is refused with CONVERSATION_CLOSED.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import type { SigningKeyPair } from '../identity/derive.ts';
import { type AddAllResult, addAll, ConversationDag } from './dag.ts';
import { type Evaluation, evaluateDag } from './evaluate.ts';
import { type ConversationEvent, openEvent, signEvent } from './event.ts';
import { type Genesis, type IsDeviceOf, openGenesis } from './genesis.ts';
import type { CanonicalValue } from '../codec.ts';
import { type ConversationId, compareHex, type EventId } from './ids.ts';
import { CONVERSATION_LIMITS } from './limits.ts';
import {
  createOutcome,
  type DisagreeReason,
  type OutcomeRecord,
  openOutcome,
  verifyOutcome,
} from './outcome.ts';

export type ReceiveResult =
  | { status: 'added'; event: ConversationEvent }
  | { status: 'duplicate'; event: ConversationEvent }
  /** Parents not known yet: keep the event and receive it again once they arrive. */
  | { status: 'missing'; event: ConversationEvent; missing: EventId[] };

export type ApplyOutcomeResult =
  /** Verified: the conversation is now closed; `dropped` were concurrent events it did not evaluate. */
  | { status: 'closed'; outcome: OutcomeRecord; dropped: EventId[] }
  | { status: 'duplicate'; outcome: OutcomeRecord }
  /** The re-evaluation disagrees: the outcome is not taken (report it to the person). */
  | { status: 'disagree'; outcome: OutcomeRecord; reason: DisagreeReason; detail: string }
  /** Some evaluated events are not here yet: fetch them and apply again. */
  | { status: 'missing'; outcome: OutcomeRecord; missing: EventId[] }
  /**
   * Already closed by another outcome, which stays; this one is kept in `conflicts` for people
   * to see. `verified`: it also agrees with a re-evaluation here (false: its events are not here).
   */
  | { status: 'conflict'; outcome: OutcomeRecord; current: OutcomeRecord; verified: boolean };

export interface ConversationOptions {
  isDeviceOf: IsDeviceOf;
  backend?: CryptoBackend;
}

export interface Signer {
  userId: string;
  device: SigningKeyPair;
}

export class Conversation {
  readonly genesis: Genesis;
  private dag: ConversationDag;
  private readonly isDeviceOf: IsDeviceOf;
  private readonly backend: CryptoBackend;
  private recorded: OutcomeRecord | null = null;
  private evaluatedSet: ReadonlySet<EventId> | null = null;
  private readonly conflictList: OutcomeRecord[] = [];

  constructor(genesis: Genesis, options: ConversationOptions) {
    this.genesis = genesis;
    this.dag = new ConversationDag(genesis);
    this.isDeviceOf = options.isDeviceOf;
    this.backend = options.backend ?? defaultBackend();
  }

  /** Opens and verifies a received genesis (see openGenesis). */
  static open(genesisBytes: Uint8Array, options: ConversationOptions): Conversation {
    return new Conversation(openGenesis(genesisBytes, options.isDeviceOf, options.backend), options);
  }

  get id(): ConversationId {
    return this.genesis.id;
  }

  get status(): 'open' | 'closed' {
    return this.recorded === null ? 'open' : 'closed';
  }

  get outcome(): OutcomeRecord | null {
    return this.recorded;
  }

  /** Valid outcomes received after the one that closed the conversation, naming other heads. */
  get conflicts(): readonly OutcomeRecord[] {
    return this.conflictList;
  }

  get size(): number {
    return this.dag.size;
  }

  heads(): EventId[] {
    return this.recorded === null ? this.dag.heads() : [...this.recorded.heads];
  }

  /** Every accepted event in canonical order. */
  events(): readonly ConversationEvent[] {
    return this.dag.ordered();
  }

  get(id: EventId): ConversationEvent | undefined {
    return this.dag.get(id);
  }

  /** Members after every membership change, in canonical order. */
  members(): string[] {
    return [...this.dag.currentMembers()].sort(compareHex);
  }

  private admit(input: Uint8Array | ConversationEvent): ConversationEvent {
    const event = input instanceof Uint8Array ? openEvent(input, this.backend) : input;
    if (event.conversation !== this.genesis.id)
      throw new KithError('CONVERSATION_WRONG_CONVERSATION', 'Its conversation id is another.');
    if (!this.isDeviceOf(event.author, event.device)) throw new KithError('CONVERSATION_UNKNOWN_DEVICE');
    if (this.evaluatedSet !== null && !this.evaluatedSet.has(event.id) && !this.dag.has(event.id))
      throw new KithError('CONVERSATION_CLOSED');
    return event;
  }

  /**
   * Receives an event (its signed bytes, or an event from openEvent). Throws a KithError when it
   * is forged, of another conversation, signed by a device not its author's, breaks a rule of
   * the pattern or membership, or arrives after the outcome (CONVERSATION_CLOSED).
   */
  receive(input: Uint8Array | ConversationEvent): ReceiveResult {
    const event = this.admit(input);
    if (this.dag.has(event.id)) return { status: 'duplicate', event };
    const missing = this.dag.missingParents(event);
    if (missing.length > 0) return { status: 'missing', event, missing };
    this.dag.add(event);
    return { status: 'added', event };
  }

  /**
   * Receives many events in any order (a sync batch, or the buffer of 'missing' ones). Events
   * refused by `receive` are listed with their error; `pending` still miss a parent.
   */
  receiveAll(inputs: Iterable<Uint8Array | ConversationEvent>): AddAllResult {
    const admitted: ConversationEvent[] = [];
    const refused: AddAllResult['refused'] = [];
    for (const input of inputs) {
      let event: ConversationEvent | null = null;
      try {
        event = input instanceof Uint8Array ? openEvent(input, this.backend) : input;
        admitted.push(this.admit(event));
      } catch (error) {
        if (!(error instanceof KithError)) throw error;
        if (event !== null) refused.push({ event, error });
      }
    }
    const result = addAll(this.dag, admitted);
    return { ...result, refused: [...refused, ...result.refused] };
  }

  /**
   * Writes, signs and adds an event of this device's user after the current heads. Throws the
   * KithError it would be refused with, before anything is added; the caller sends `bytes`.
   */
  post(
    signer: Signer,
    kind: string,
    body: Record<string, CanonicalValue>,
    createdAt: number,
  ): ConversationEvent {
    if (this.recorded !== null) throw new KithError('CONVERSATION_CLOSED');
    let parents = this.dag.heads();
    if (parents.length > CONVERSATION_LIMITS.maxParents)
      parents = parents.slice(-CONVERSATION_LIMITS.maxParents);
    const event = signEvent(
      { conversation: this.genesis.id, author: signer.userId, kind, body, parents, createdAt },
      signer.device,
      this.backend,
    );
    if (!this.isDeviceOf(event.author, event.device)) throw new KithError('CONVERSATION_UNKNOWN_DEVICE');
    this.dag.add(event);
    return event;
  }

  /** Throws the KithError a new event would be refused with (a dry run of post/receive). */
  check(event: ConversationEvent): void {
    this.admit(event);
    this.dag.check(event);
  }

  /** Evaluates every accepted event at `now` (after the outcome: the evaluated ones). */
  evaluate(now: number): Evaluation {
    return evaluateDag(this.dag, now, this.backend);
  }

  /**
   * Evaluates at `now` and, if the method is done, records and signs the outcome with this
   * device and closes the conversation. Returns null while not done.
   */
  recordOutcome(signer: Signer, now: number): OutcomeRecord | null {
    if (this.recorded !== null) throw new KithError('CONVERSATION_CLOSED');
    const evaluation = this.evaluate(now);
    if (!evaluation.done) return null;
    if (signer.userId !== this.genesis.creator && !evaluation.members.includes(signer.userId))
      throw new KithError('CONVERSATION_NOT_A_MEMBER', 'Only members and the creator record outcomes.');
    const outcome = createOutcome(this.genesis, evaluation, signer, this.backend);
    this.close(outcome);
    return outcome;
  }

  /**
   * Takes an outcome recorded elsewhere: re-evaluates the events up to its heads and closes the
   * conversation only if every part agrees. `now` is this node's clock (an outcome claiming a
   * later evaluation time is refused).
   */
  applyOutcome(input: Uint8Array | OutcomeRecord, now: number): ApplyOutcomeResult {
    const outcome = input instanceof Uint8Array ? openOutcome(input, this.backend) : input;
    if (this.recorded !== null && this.recorded.id === outcome.id) return { status: 'duplicate', outcome };
    const verdict = verifyOutcome(this.genesis, this.dag.ordered(), outcome, {
      isDeviceOf: this.isDeviceOf,
      now,
      backend: this.backend,
    });
    if (verdict.verdict === 'disagree')
      return { status: 'disagree', outcome, reason: verdict.reason, detail: verdict.detail };
    if (this.recorded !== null) {
      this.conflictList.push(outcome);
      return { status: 'conflict', outcome, current: this.recorded, verified: verdict.verdict === 'agree' };
    }
    if (verdict.verdict === 'missing') return { status: 'missing', outcome, missing: verdict.missing };
    return { status: 'closed', outcome, dropped: this.close(outcome) };
  }

  /** Keeps only the evaluated events; returns the ids of the others. */
  private close(outcome: OutcomeRecord): EventId[] {
    const heads = outcome.heads.filter((h) => h !== this.genesis.id);
    const evaluated = this.dag.ancestry(heads);
    const dropped = this.dag
      .ordered()
      .filter((e) => !evaluated.has(e.id))
      .map((e) => e.id);
    if (dropped.length > 0) {
      const dag = new ConversationDag(this.genesis);
      addAll(
        dag,
        this.dag.ordered().filter((e) => evaluated.has(e.id)),
      );
      this.dag = dag;
    }
    this.recorded = outcome;
    this.evaluatedSet = evaluated;
    return dropped;
  }
}
