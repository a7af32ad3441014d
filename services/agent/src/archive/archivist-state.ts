/**
 * The archivist's memory between passes (archivist.ts), sealed under the device storage key at
 * rest. Passes and adoptions each load, change and save it: one at a time.
 */
import { utf8 } from '@kith/core/crypto/index';
import type { PeerNode } from '../peer/peer-node.ts';
import { openBox, sealBox } from '../peer/sealed-box.ts';
import type { SecretRepository } from '../repositories/secret-repository.ts';
import {
  byTopic,
  byTopicBlob,
  type ListedActive,
  type ListedHistory,
  mergeActive,
  mergeHistory,
} from './archive-lists.ts';

/** The archivist's memory between passes, sealed under the device storage key at rest. */
export interface LocalState {
  v: 1;
  conversations: Record<
    string,
    {
      topic: string;
      archive: 'current' | 'history';
      blob: string;
      digest: string;
      lastActivity: number;
      closedAt: number | null;
      messages: number;
      /** The summary marker when this entry was last checked (see TranscriptSource.summaries). */
      marker?: string;
    }
  >;
  /** The last active list and history index this device wrote or read (hex ids). */
  active: { topic: string; blob: string; updatedAt: number }[];
  /** History segments; `from` is absent in states written before segments (read as null). */
  history: ListedHistory[];
  /** Recipients the history index was last sealed to (so a new own device gets it re-sealed). */
  historyRecipients: string;
  /**
   * Per list, the newest version whose entries were handed in opened (`adopt`, by the CLI with
   * the phrase). A list this device cannot open is never overwritten unless its version was adopted.
   */
  adopted?: { active?: number; conversations?: number };
  /** Digest of the friend bundle last sealed (friend-bundle-source.ts). */
  friendsDigest?: string;
  /** Its blob id (hex), put again each pass so devices that lack it get it. */
  friendsBlob?: string;
  /**
   * Per listed blob (hex id), the own devices' keys (hex) its envelope is sealed to, once a
   * device of this user was revoked (archive-rewrap.ts): fetched once, not every pass.
   */
  sealedTo?: Record<string, string[]>;
  /** Own devices' keys (hex) the active list was last sealed to (re-sealed when one is revoked). */
  activeOwners?: string[];
}

const STATE_NAME = 'archivist';
const STATE_PURPOSE = 'kith/v1/seal/archivist-state';
const emptyState = (): LocalState => ({
  v: 1,
  conversations: {},
  active: [],
  history: [],
  historyRecipients: '',
});

export class ArchivistState {
  /** Passes and adoptions each load, change and save the local state: one at a time. */
  private stateTail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly node: PeerNode,
    private readonly secrets: SecretRepository,
  ) {}

  /** Runs `fn` after every earlier pass or adoption has saved (a lost update dropped an adoption). */
  withState<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.stateTail.then(fn, fn);
    this.stateTail = run.catch(() => {});
    return run;
  }

  async load(): Promise<LocalState> {
    const ciphertext = await this.secrets.get(STATE_NAME);
    if (!ciphertext) return emptyState();
    const plain = openBox(this.node.options.device.storageKey, STATE_PURPOSE, ciphertext);
    const state = JSON.parse(utf8.decode(plain)) as LocalState;
    return state.v === 1 ? state : emptyState();
  }

  async save(state: LocalState): Promise<void> {
    const ciphertext = sealBox(
      this.node.options.device.storageKey,
      STATE_PURPOSE,
      utf8.encode(JSON.stringify(state)),
      this.node.random,
    );
    await this.secrets.put(STATE_NAME, ciphertext, new Date(this.node.clock()));
  }
}

/**
 * Takes in the entries of a list the owner opened elsewhere (archivist.ts `adopt`): merged with
 * what the state lists, nothing dropped, and the version remembered as adopted.
 */
export function adoptEntries(
  state: LocalState,
  name: 'active' | 'conversations',
  version: number,
  entries: ListedActive[] | ListedHistory[],
): { entries: number } {
  if (name === 'active') {
    state.active = [...mergeActive(state.active, entries as ListedActive[]).values()].sort(byTopic);
  } else {
    state.history = [...mergeHistory(state.history, entries as ListedHistory[]).values()].sort(byTopicBlob);
    state.historyRecipients = '';
  }
  state.adopted = { ...state.adopted, [name]: Math.max(version, state.adopted?.[name] ?? 0) };
  return { entries: name === 'active' ? state.active.length : state.history.length };
}
