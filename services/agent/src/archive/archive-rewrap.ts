/**
 * Re-wrapping after a revocation (docs/ARCHITECTURE.md "Re-wrap after a revocation"): every item
 * the lists name that is still sealed to a device of this user's that is now revoked (a lost or
 * stolen one, or one revoked at a recovery) is opened here and sealed anew to the devices of
 * today, then listed in place of the old one. Run inside each archivist pass (archivist.ts).
 *
 *   current transcript   opens with this device's share + a holder's: re-sealed 2-of-2 to the
 *                        active own devices and today's holder group, no phrase needed
 *   friend bundle        t = 1, this device's key opens it: re-sealed to the active own devices
 *                        and the recovery key
 *   history transcript   2-of-3 [X] [Y] [recovery]: with X or Y revoked only one device share
 *                        is left, so the phrase is needed (given at `kith revoke`, or `kith
 *                        archive rewrap --phrase-file F`), and a second active own device to
 *                        seal to; until then it waits
 *
 * With the phrase the pass also has the keys of the revoked devices (`phraseKeys`), so a device
 * recovered after losing every other one re-wraps what they sealed (its lists adopted first).
 *
 * A re-wrapped entry is listed one millisecond later than the old one (active: `updatedAt`,
 * history: `closedAt`), so the lists' merge on every own device prefers it and drops the old
 * one. Which own keys each listed blob is sealed to is remembered (sealed, in the archivist's
 * state), so a blob is fetched once, not on every pass. The old blob's copies are deleted once
 * the new one has its copies and the lists name it (superseded-drops.ts).
 */
import {
  friendBundleTopic,
  openFriendBundle,
  sealCurrent,
  sealFriendBundle,
  sealHistory,
} from '@kith/core/archive/archive-seal';
import type { Transcript } from '@kith/core/archive/transcript';
import { constantTimeEqual, fromHex, toHex } from '@kith/core/crypto/index';
import { verifyEnvelope } from '@kith/core/envelope';
import { isKithError, KithError } from '@kith/core/errors';
import { type AgreementKeyPair, deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { checkPhrase, phraseToSeed } from '@kith/core/identity/phrase';
import type { PeerNode } from '../peer/peer-node.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import type { ListedActive, ListedHistory } from './archive-lists.ts';
import type { ArchiveAccess } from './archivist-options.ts';
import type { LocalState } from './archivist-state.ts';
import { bundleHolders } from './friend-bundle-source.ts';

/** `kith archive status`: listed items still sealed to a revoked own device. */
export interface RewrapStatus {
  /** Items (current, history, friend bundles) still sealed to a revoked device of this user. */
  waiting: number;
  /** Of those, history items: they need the phrase (`kith archive rewrap --phrase-file F`). */
  history: number;
  /** When the last pass counted them (null: no pass since the agent started). */
  lastPassAt: string | null;
}

export interface RewrapInput {
  node: PeerNode;
  access: ArchiveAccess;
  /** Opens a transcript blob with this device's share, a holder's or another own device's, and `extra`. */
  open: (blob: string, extra: AgreementKeyPair[]) => Promise<{ kind: string; transcript: Transcript }>;
  state: LocalState;
  active: Map<string, ListedActive>;
  history: Map<string, ListedHistory>;
  /** Active own devices, lowest index first. */
  own: DeviceRow[];
  holders: { keys: Uint8Array[]; devices: string[] };
  /** Lists this pass may not write (sealed before this device: archivist.ts `blocked`). */
  skip: { active: boolean; history: boolean };
  /** Keys from the phrase (`phraseKeys`), only during a pass the person gave it for. */
  phraseKeys: AgreementKeyPair[];
  now: number;
}

export interface RewrapResult {
  activeChanged: boolean;
  historyChanged: boolean;
  rewrapped: number;
  /** Old blob ids (hex) and the ones listed in their place: their copies go (superseded-drops.ts). */
  superseded: { old: string; by: string }[];
  view: RewrapStatus;
}

type Kind = 'current' | 'history' | 'bundle';

/**
 * The keys the phrase gives back for a re-wrap: the recovery key and the agreement key of every
 * own device the log lists as revoked (a lost X or Y still holds its share in the sealed items,
 * as on the CLI's phrase path). Checked to be this user's; kept in memory for one pass only.
 */
export async function phraseKeys(
  node: PeerNode,
  phrase: string,
  bip39Passphrase = '',
): Promise<AgreementKeyPair[]> {
  const seed = phraseToSeed(checkPhrase(phrase), bip39Passphrase);
  const root = deriveRootKeys(seed);
  if (root.userId !== node.userId)
    throw new KithError('PHRASE_INVALID', 'It is the phrase of another user than this device’s.');
  const keys = [root.recovery];
  for (const d of await node.identity.devicesOf(node.userId)) {
    if (d.status !== 'revoked') continue;
    const { agreement } = deriveDeviceKeys(seed, d.deviceIndex);
    if (constantTimeEqual(agreement.publicKey, d.staticPublicKey)) keys.push(agreement);
  }
  return keys;
}

/** Re-seals what the lists name and a revoked own device can still open (see above). */
export async function rewrapRevoked(input: RewrapInput): Promise<RewrapResult> {
  const { node, state } = input;
  const view: RewrapStatus = { waiting: 0, history: 0, lastPassAt: new Date(input.now).toISOString() };
  const result: RewrapResult = {
    activeChanged: false,
    historyChanged: false,
    rewrapped: 0,
    superseded: [],
    view,
  };
  const ownKeys = new Set<string>();
  const revoked = new Set<string>();
  for (const d of await node.identity.devicesOf(node.userId)) {
    const key = toHex(d.staticPublicKey);
    ownKeys.add(key);
    if (d.status === 'revoked') revoked.add(key);
  }
  if (revoked.size === 0) return result; // nothing can be sealed to a revoked device yet
  const known = state.sealedTo ?? {};
  const next: Record<string, string[]> = {};
  const bundleTopic = toHex(friendBundleTopic());

  const sealedTo = async (blob: string): Promise<string[] | undefined> => {
    const have = known[blob];
    if (have) return have;
    try {
      const { ciphertext } = await input.access.fetchBlob(fromHex(blob));
      return verifyEnvelope(ciphertext)
        .recipients.map((k) => toHex(k))
        .filter((k) => ownKeys.has(k));
    } catch (err) {
      if (!isKithError(err)) throw err;
      return undefined; // not reachable now: counted as waiting, tried again next pass
    }
  };

  const items: { kind: Kind; entry: ListedActive | ListedHistory }[] = [
    ...[...input.active.values()].map((entry) => ({ kind: 'current' as const, entry })),
    ...[...input.history.values()].map((entry) => ({
      kind: entry.topic === bundleTopic ? ('bundle' as const) : ('history' as const),
      entry,
    })),
  ];
  for (const { kind, entry } of items) {
    const keys = await sealedTo(entry.blob);
    if (keys && !keys.some((k) => revoked.has(k))) {
      next[entry.blob] = keys;
      continue;
    }
    const skipped = kind === 'current' ? input.skip.active : input.skip.history;
    // A v1 history entry (start unknown) is never dropped for another (archive-lists.ts): a
    // re-sealed copy could not replace it on the other devices, so it stays (and is counted).
    const v1 = kind !== 'current' && (entry as ListedHistory).from === null;
    if (keys && !skipped && !v1) {
      try {
        // The new blob is local: the next pass reads its header from here.
        const id = await reseal(input, kind, entry);
        for (const c of Object.values(state.conversations)) if (c.blob === entry.blob) c.blob = id;
        if (state.friendsBlob === entry.blob) state.friendsBlob = id;
        result.rewrapped += 1;
        result.superseded.push({ old: entry.blob, by: id });
        if (kind === 'current') result.activeChanged = true;
        else result.historyChanged = true;
        continue;
      } catch (err) {
        if (!isKithError(err)) throw err;
        node.log.info({ code: err.code, kind }, 'archive: an item sealed to a revoked device waits');
      }
    }
    if (keys) next[entry.blob] = keys;
    view.waiting += 1;
    if (kind === 'history') view.history += 1;
  }
  state.sealedTo = next;
  return result;
}

/** Opens one item and seals it to today's devices; returns the new blob id, listed in place of the old. */
async function reseal(input: RewrapInput, kind: Kind, entry: ListedActive | ListedHistory): Promise<string> {
  const { node, access, own, now } = input;
  const keys = node.options.device.keys;
  const owners = own.map((d) => d.staticPublicKey);
  const base = { sender: keys.signing, createdAt: now, random: node.random };
  const extra = input.phraseKeys;
  if (kind === 'current') {
    const e = entry as ListedActive;
    if (input.holders.keys.length === 0) throw new KithError('ARCHIVE_NO_HOLDER');
    const { transcript } = await input.open(e.blob, extra);
    const ciphertext = await sealCurrent({ ...base, transcript, owners, holders: input.holders.keys });
    const { id } = await access.put({ kind: 'current', ciphertext, preferHolders: input.holders.devices });
    input.active.set(e.topic, { topic: e.topic, blob: id, updatedAt: e.updatedAt + 1 });
    return id;
  }
  const e = entry as ListedHistory;
  let ciphertext: Uint8Array;
  let put: Parameters<ArchiveAccess['put']>[0];
  if (kind === 'bundle') {
    const { ciphertext: old } = await access.fetchBlob(fromHex(e.blob));
    const { bundle } = await openFriendBundle(old, { keys: [keys.agreement, ...extra] });
    ciphertext = await sealFriendBundle({ ...base, bundle, owners, recovery: node.ownLog.recoveryKey });
    put = { kind: 'history', ciphertext, copies: await bundleHolders(node) };
  } else {
    const second = own.find((d) => d.deviceId !== node.deviceId);
    if (!second) throw new KithError('ARCHIVE_HISTORY_ONE_DEVICE');
    const { transcript } = await input.open(e.blob, extra);
    ciphertext = await sealHistory({
      ...base,
      transcript,
      archivist: keys.agreement.publicKey,
      second: second.staticPublicKey,
      recovery: node.ownLog.recoveryKey,
    });
    put = { kind: 'history', ciphertext, preferHolders: [second.deviceId] };
  }
  const { id } = await access.put(put);
  input.history.delete(e.blob);
  input.history.set(id, { ...e, blob: id, closedAt: e.closedAt + 1 });
  return id;
}
