/**
 * Pairing in person (docs/DESIGN.md §6, docs/PROTOCOL.md "Pairing"). The inviter's node makes a one-time
 * invite (code + QR); the acceptor opens a Noise IKpsk2 link with the invite's key and secret and
 * sends `pair-request`. A friend invite swaps identity logs; an own-device invite hands the new
 * device the keys the root holder derived from the phrase, and the log that now lists it.
 * Both people compare the short authentication string derived from the handshake hash; a friend
 * is held as pending on each side until that side's person confirms it (pending-friends.ts).
 */
import { decodeCanonical, encodeCanonical } from '@kith/core/codec';
import { constantTimeEqual, fromHex, toHex } from '@kith/core/crypto/index';
import { KithError, isKithError } from '@kith/core/errors';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { mergeLog, nextDeviceIndex, verifyLog } from '@kith/core/identity/log';
import { checkRecoveryExtension } from '@kith/core/identity/recovery';
import { checkPhrase, phraseToSeed } from '@kith/core/identity/phrase';
import {
  checkInviteFresh,
  decodeInvite,
  encodeInvite,
  type InviteRole,
  invitePsk,
} from '@kith/core/pairing/invite-code';

import { shortAuthenticationString } from '@kith/core/pairing/sas';
import { formatShortCode, looksLikeShortCode, makeShortCode } from '@kith/core/pairing/short-code';
import {
  DeviceEnrolMessage,
  PairAcceptMessage,
  PairRefuseMessage,
  PairRequestMessage,
} from '@kith/core/wire/pairing';
import {
  RecoverAcceptMessage,
  RecoverExtendMessage,
  RecoverLogMessage,
  RecoverRequestMessage,
} from '@kith/core/wire/recovery';
import { kv } from '@kith/db/schema';
import { eq } from 'drizzle-orm';
import type { Link } from '../link/link.ts';
import { InviteRepository } from '../repositories/invite-repository.ts';
import { nextMessage } from './next-message.ts';
import { OWN_FORK_HINT, type PeerNode } from './peer-node.ts';
import { PendingFriends } from './pending-friends.ts';
import { openBox, sealBox } from './sealed-box.ts';
import { dialInvite, readRecord, refusal } from './invite-dial.ts';
import type { CreatedInvite, OpenInvite, PairingResult, SealedInvite } from './pairing-types.ts';
import { dialShortCode } from './short-code-dial.ts';
import { ShortCodeListener } from './short-code-listener.ts';

export const DEFAULT_INVITE_TTL_MS = 10 * 60_000;
export const MAX_INVITE_TTL_MS = 24 * 60 * 60_000;
const PAIRING_TIMEOUT_MS = 30_000;

export type { CreatedInvite, OpenInvite, PairingResult } from './pairing-types.ts';

export class PairingService {
  readonly name = 'pairing';
  private readonly invites: InviteRepository;
  /** Answers short codes on the LAN while any is open (short-code-listener.ts). */
  readonly shortCodes: ShortCodeListener;
  /** Friends paired here, waiting for the person to confirm the six digits. */
  readonly pending: PendingFriends;
  private wipeTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly node: PeerNode) {
    this.invites = new InviteRepository(node.options.components.db.db);
    this.pending = new PendingFriends(node);
    this.shortCodes = new ShortCodeListener(node, {
      longCode: (id) => this.longCode(id),
      end: (id, reason) => this.end(id, reason),
      spent: (id) => this.invites.clearNameplate(id),
    });
    node.lookupPsk = (id) => this.lookupPsk(id);
    node.onInviteLink = (link) => void this.answer(link);
  }

  /** Wipes what expired while the agent was down, then each invite as it expires. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.wipeExpired();
    await this.pending.start();
    // Short codes still open from before a restart are answered again; every open invite holds
    // the peer port open (port windows) until it is used or expires.
    for (const row of await this.invites.listOpen(new Date(this.node.clock()))) {
      this.windows?.hold(row.id, row.expiresAt.getTime());
      if (row.nameplate === null) continue;
      const sealed = await this.openInvite(row.id);
      if (sealed?.words) await this.shortCodes.add(row.id, { nameplate: row.nameplate, words: sealed.words });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wipeTimer);
    this.pending.stop();
    await this.shortCodes.stop();
  }

  /** Empties the sealed secrets (a device invite: the new device's keys) of expired invites. */
  async wipeExpired(): Promise<void> {
    const now = new Date(this.node.clock());
    await this.invites.wipeExpired(now);
    const open = new Set((await this.invites.listOpen(now)).map((r) => r.id));
    for (const id of this.shortCodes.ids()) if (!open.has(id)) this.shortCodes.remove(id);
    await this.scheduleWipe();
  }

  private async scheduleWipe(): Promise<void> {
    const next = await this.invites.nextExpiry();
    clearTimeout(this.wipeTimer);
    if (this.stopped || !next) return;
    const delay = Math.max(0, next.getTime() - this.node.clock()) + 1000;
    this.wipeTimer = setTimeout(() => {
      this.wipeExpired().catch((err) => this.node.log.warn({ err }, 'wiping expired invites failed'));
    }, delay);
    this.wipeTimer.unref?.();
  }

  private get windows() {
    return this.node.options.windows;
  }

  /** Uses an invite once; the port it held open follows the schedule again after a grace period. */
  private async consume(...args: Parameters<InviteRepository['consume']>): Promise<boolean> {
    const used = await this.invites.consume(...args);
    if (used) this.windows?.release(args[0]);
    return Boolean(used);
  }

  private get storageKey() {
    return this.node.options.device.storageKey;
  }

  async createInvite(options: {
    role: InviteRole;
    ttlMs?: number;
    phrase?: string;
    bip39Passphrase?: string;
    /** Also make a short code to say aloud on a LAN (friend invites only). */
    short?: boolean;
  }): Promise<CreatedInvite> {
    const ttl = options.ttlMs ?? DEFAULT_INVITE_TTL_MS;
    if (!Number.isInteger(ttl) || ttl < 10_000 || ttl > MAX_INVITE_TTL_MS) {
      throw new KithError('INVALID_INPUT', 'An invite lives between 10 seconds and 24 hours.');
    }
    const { random, clock } = this.node;
    const idBytes = random(16);
    const secret = random(16);
    let enrol: Uint8Array | null = null;
    if (options.role === 'device') {
      if (options.phrase === undefined) {
        throw new KithError(
          'USAGE',
          'A device invite needs the seed phrase (--phrase-file): only the root key adds devices.',
        );
      }
      const seed = phraseToSeed(checkPhrase(options.phrase), options.bip39Passphrase ?? '');
      const root = deriveRootKeys(seed);
      if (root.userId !== this.node.userId) {
        throw new KithError('PHRASE_INVALID', 'It is the phrase of another user than this device’s.');
      }
      const own = this.node.ownLog;
      const device = deriveDeviceKeys(seed, nextDeviceIndex(own));
      const log = enrolDevice(own, root, device, { deviceName: `device ${device.index}`, now: clock() });
      enrol = DeviceEnrolMessage.encode({
        v: 1,
        t: 'device-enrol',
        index: device.index,
        signingSeed: device.signing.seed,
        agreementPrivateKey: device.agreement.privateKey,
        log: log.entries,
        addressRecord: this.node.ownAddressRecord?.bytes ?? new Uint8Array(0),
      });
    }
    if (options.short && options.role !== 'friend') {
      throw new KithError(
        'USAGE',
        'A short code is for a friend invite; a new device takes the long code (or the QR code).',
      );
    }
    const now = clock();
    const expiresAt = now + ttl;
    const short = options.short ? makeShortCode(random, new Set(this.shortCodes.nameplates())) : undefined;
    const sealed: SealedInvite = {
      secret,
      enrol,
      baseLength: this.node.ownLog.entries.length,
      ...(short ? { words: short.words } : {}),
    };
    await this.invites.create({
      id: toHex(idBytes),
      role: options.role,
      secretSealed: sealBox(this.storageKey, 'invite', encodeCanonical(sealed as never), random),
      createdAt: new Date(now),
      expiresAt: new Date(expiresAt),
      nameplate: short?.nameplate ?? null,
    });
    if (short) await this.shortCodes.add(toHex(idBytes), short);
    // The acceptor dials whenever it likes: the port stays open while the invite waits.
    this.windows?.hold(toHex(idBytes), expiresAt);
    await this.scheduleWipe();
    const code = encodeInvite({
      role: options.role,
      user: this.node.userId,
      key: this.node.staticKeyPair.publicKey,
      id: idBytes,
      secret,
      addrs: this.node.ownAddresses().slice(0, 6),
      exp: Math.floor(expiresAt / 1000),
    });
    this.node.options.events.publish('invite.created', { id: toHex(idBytes), role: options.role });
    return {
      id: toHex(idBytes),
      role: options.role,
      code,
      ...(short ? { shortCode: formatShortCode(short) } : {}),
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  /** The long code of an open invite (what a short-code run hands over), with today's addresses. */
  private async longCode(id: string): Promise<string | undefined> {
    const row = await this.invites.get(id);
    const sealed = await this.openInvite(id);
    if (!row || !sealed || row.usedAt || row.endedAt) return undefined;
    return encodeInvite({
      role: row.role,
      user: this.node.userId,
      key: this.node.staticKeyPair.publicKey,
      id: fromHex(id),
      secret: sealed.secret,
      addrs: this.node.ownAddresses().slice(0, 6),
      exp: Math.floor(row.expiresAt.getTime() / 1000),
    });
  }

  /** The sealed box of an unexpired invite that still holds its secret (used and ended ones too). */
  private async openInvite(id: string): Promise<SealedInvite | undefined> {
    const row = await this.invites.get(id);
    if (!row || row.secretSealed.length === 0 || row.expiresAt.getTime() <= this.node.clock())
      return undefined;
    const doc = decodeCanonical(
      openBox(this.storageKey, 'invite', row.secretSealed),
    ) as unknown as SealedInvite;
    return doc;
  }

  /** What a used or ended invite keeps until it expires: the link secret only. */
  private keptSecret(invite: SealedInvite): Uint8Array {
    const kept: SealedInvite = { secret: invite.secret, enrol: null, baseLength: 0 };
    return sealBox(this.storageKey, 'invite', encodeCanonical(kept as never), this.node.random);
  }

  /**
   * Answers the link of whoever holds the code, while the invite has not expired: an open invite
   * pairs, a used or ended one is refused with a code that says so (docs/PROTOCOL.md §9).
   */
  private async lookupPsk(inviteId: Uint8Array): Promise<Uint8Array | undefined> {
    const invite = await this.openInvite(toHex(inviteId));
    return invite ? invitePsk(invite.secret) : undefined;
  }

  /** Ends an open invite before use; false when it was not open. */
  private async end(id: string, reason: 'cancelled' | 'wrong-code'): Promise<boolean> {
    const sealed = await this.openInvite(id);
    const kept = sealed ? this.keptSecret(sealed) : new Uint8Array(0);
    const ended = await this.invites.end(id, new Date(this.node.clock()), reason, kept);
    this.shortCodes.remove(id);
    this.windows?.release(id);
    if (ended) this.node.options.events.publish('invite.ended', { id, reason });
    return ended;
  }

  /** Cancels one open invite, or every one when `id` is undefined; returns the ids it ended. */
  async cancel(id?: string): Promise<string[]> {
    const now = new Date(this.node.clock());
    const open = (await this.invites.listOpen(now)).map((r) => r.id);
    if (id !== undefined && !open.includes(id)) {
      const row = await this.invites.get(id);
      if (!row)
        throw new KithError('INVITE_INVALID', 'No invite with that id on this node (see `kith invites`).');
      if (row.usedAt)
        throw new KithError('INVITE_USED', 'It was already used, so there is nothing to cancel.');
      if (row.endedAt) throw new KithError('INVITE_CANCELLED', 'It had already ended.');
      throw new KithError('INVITE_EXPIRED', 'It had already expired.');
    }
    const ended: string[] = [];
    for (const one of id === undefined ? open : [id]) if (await this.end(one, 'cancelled')) ended.push(one);
    return ended;
  }

  async list(): Promise<OpenInvite[]> {
    return (await this.invites.listOpen(new Date(this.node.clock()))).map((r) => ({
      id: r.id,
      role: r.role,
      createdAt: r.createdAt.toISOString(),
      expiresAt: r.expiresAt.toISOString(),
      nameplate: r.nameplate,
    }));
  }

  async status(id: string): Promise<{
    id: string;
    role: string;
    expiresAt: string;
    used: boolean;
    ended: 'cancelled' | 'wrong-code' | null;
    result: PairingResult | null;
  }> {
    const row = await this.invites.get(id);
    if (!row) throw new KithError('INVITE_INVALID', 'No invite with that id on this node.');
    const stored = await this.node.options.components.db.db
      .select()
      .from(kv)
      .where(eq(kv.key, `invite:${id}`));
    return {
      id,
      role: row.role,
      expiresAt: row.expiresAt.toISOString(),
      used: row.usedAt !== null,
      ended: row.endedReason ?? null,
      result: (stored[0]?.value as PairingResult | undefined) ?? null,
    };
  }

  private async remember(id: string, result: PairingResult): Promise<void> {
    const value = result as unknown as Record<string, unknown>;
    await this.node.options.components.db.db
      .insert(kv)
      .values({ key: `invite:${id}`, value, updatedAt: new Date(this.node.clock()) })
      .onConflictDoUpdate({ target: kv.key, set: { value } });
  }

  /** Inviter side: a link opened with one of our invites. */
  private async answer(link: Link): Promise<void> {
    const id = toHex(link.inviteId ?? new Uint8Array(0));
    const refuse = (code: string) => {
      try {
        link.send(PairRefuseMessage.encode({ v: 1, t: 'pair-refuse', code }));
      } catch {}
      link.close();
    };
    try {
      const request = await nextMessage(
        link,
        [PairRequestMessage, RecoverRequestMessage],
        PAIRING_TIMEOUT_MS,
      );
      if (!constantTimeEqual(request.inviteId, link.inviteId ?? new Uint8Array(0)))
        return refuse('INVITE_INVALID');
      const invite = await this.openInvite(id);
      const row = await this.invites.get(id);
      if (!invite || !row || row.usedAt) return refuse('INVITE_USED');
      if (row.endedAt) return refuse(row.endedReason === 'wrong-code' ? 'INVITE_ENDED' : 'INVITE_CANCELLED');
      const kept = this.keptSecret(invite);
      const sas = shortAuthenticationString(link.handshakeHash);
      let held = false;
      if (request.t === 'recover-request') {
        if (row.role !== 'friend') return refuse('INVITE_ROLE');
        const done = await this.answerRecovery(link, id, request.user, sas, kept);
        if (done !== true) return refuse(done);
      } else if (row.role === 'friend') {
        if (!request.log) return refuse('INVITE_ROLE');
        const theirs = verifyLog(request.log);
        const device = [...theirs.devices.values()].find((d) =>
          constantTimeEqual(d.certificate.agreementKey, link.remoteStaticKey),
        );
        if (theirs.userId === this.node.userId || !device || device.status !== 'active')
          return refuse('PAIRING_FAILED');
        // A friend's device recovered on a fresh log copy forks ours: refused before the invite
        // is used, so the same code still works with `kith recover --invite`.
        mergeLog(await this.node.identity.entries(theirs.userId), request.log);
        if (!(await this.consume(id, new Date(this.node.clock()), theirs.userId, kept)))
          return refuse('INVITE_USED');
        const before = await this.pending.before(theirs.userId);
        await this.node.identity.merge(request.log);
        // Active only once the person confirms the six digits (pending-friends.ts).
        await this.pending.hold({
          userId: theirs.userId,
          name: theirs.name || null,
          deviceId: device.certificate.deviceId,
          sas,
          side: 'inviter',
          ...before,
        });
        if (request.addresses[0]) {
          await this.node.peerStats.upsert({
            deviceId: device.certificate.deviceId,
            userId: theirs.userId,
            lastAddress: request.addresses[0],
          });
        }
        link.send(
          PairAcceptMessage.encode({
            v: 1,
            t: 'pair-accept',
            log: this.node.ownLog.entries,
            addressRecord: this.node.ownAddressRecord?.bytes ?? new Uint8Array(0),
          }),
        );
        const result: PairingResult = {
          role: 'friend',
          userId: theirs.userId,
          name: theirs.name || null,
          deviceId: device.certificate.deviceId,
          sas,
        };
        await this.remember(id, result);
        this.node.options.events.publish('pairing.completed', { inviteId: id, ...result });
        // Up while the digits are compared: a reject travels on it (pairing-links.ts).
        this.pending.holdLink(theirs.userId, link);
        held = true;
      } else {
        if (request.log !== null || !invite.enrol) return refuse('INVITE_ROLE');
        if (this.node.ownLog.entries.length !== invite.baseLength) return refuse('PAIRING_FAILED');
        const enrol = DeviceEnrolMessage.decode(invite.enrol);
        const log = verifyLog(enrol.log);
        const cert = log.devices.get(enrol.index)!.certificate;
        if (!(await this.consume(id, new Date(this.node.clock()), cert.deviceId, kept)))
          return refuse('INVITE_USED');
        await this.node.adoptOwnLog(enrol.log);
        link.send(
          DeviceEnrolMessage.encode({
            ...enrol,
            addressRecord: this.node.ownAddressRecord?.bytes ?? new Uint8Array(0),
          }),
        );
        const result: PairingResult = {
          role: 'device',
          userId: this.node.userId,
          name: null,
          deviceId: cert.deviceId,
          sas,
        };
        await this.remember(id, result);
        this.node.options.events.publish('pairing.completed', { inviteId: id, ...result });
      }
      // Let the answer flush; the IK link replaces this one (a friend pairing's is held).
      if (!held) setTimeout(() => link.close(), 1000).unref?.();
      void this.node.dialDue();
    } catch (err) {
      this.node.log.warn(
        { code: isKithError(err) ? err.code : undefined, err: isKithError(err) ? undefined : err },
        'pairing failed',
      );
      refuse(isKithError(err) ? err.code : 'PAIRING_FAILED');
    }
  }

  /**
   * Inviter side of recovery with a friend invite (docs/PROTOCOL.md §9 step 6): a machine that
   * rebuilt friend `user`'s root from the phrase gets our copy of that user's log and sends it
   * back extended with its own add-device. Only this invite's one-time secret admits a new
   * device of a friend this way; the phrase alone does not (SECURITY.md). Returns true, or the
   * code to refuse with.
   */
  private async answerRecovery(
    link: Link,
    id: string,
    user: string,
    sas: string,
    kept: Uint8Array,
  ): Promise<true | string> {
    if (user === this.node.userId) return 'INVITE_ROLE';
    const known = await this.node.identity.entries(user);
    if (known.length === 0 || !(await this.node.friends.isFriend(user))) return 'RECOVERY_UNKNOWN_USER';
    // Single use from here, as a pair-request: one invite reveals at most one friend's log.
    if (!(await this.consume(id, new Date(this.node.clock()), user, kept))) return 'INVITE_USED';
    link.send(
      RecoverLogMessage.encode({
        v: 1,
        t: 'recover-log',
        log: known,
        friendLog: this.node.ownLog.entries,
        addressRecord: this.node.ownAddressRecord?.bytes ?? new Uint8Array(0),
      }),
    );
    const extension = await nextMessage(link, [RecoverExtendMessage], PAIRING_TIMEOUT_MS);
    // Checked against the copy we sent; the merge below refuses it if ours moved on meanwhile.
    const { state, device } = checkRecoveryExtension(known, extension.log);
    await this.node.adoptFriendLog(extension.log);
    link.send(RecoverAcceptMessage.encode({ v: 1, t: 'recover-accept', deviceId: device.deviceId }));
    const result: PairingResult = {
      role: 'friend',
      userId: user,
      name: state.name || null,
      deviceId: device.deviceId,
      sas,
      recovery: true,
    };
    await this.remember(id, result);
    this.node.options.events.publish('pairing.completed', { inviteId: id, ...result });
    return true;
  }

  /** Acceptor side of a friend invite, run by a running agent. */
  async acceptFriend(typed: string): Promise<PairingResult> {
    // A short code is first traded on the LAN for the long one (docs/PROTOCOL.md §9a).
    const code = looksLikeShortCode(typed) ? await dialShortCode(typed, this.node) : typed;
    const invite = decodeInvite(code);
    checkInviteFresh(invite, this.node.clock());
    if (invite.role !== 'friend') {
      throw new KithError(
        'INVITE_ROLE',
        'It enrols a new device: run `kith accept CODE --data NEW_DIR` on that device instead.',
      );
    }
    if (invite.user === this.node.userId) throw new KithError('INVITE_ROLE', 'It is your own invite.');
    const link = await dialInvite(invite, this.node.staticKeyPair, this.node);
    let held = false;
    try {
      link.send(
        PairRequestMessage.encode({
          v: 1,
          t: 'pair-request',
          inviteId: invite.id,
          log: this.node.ownLog.entries,
          addresses: this.node.ownAddresses().slice(0, 8),
        }),
      );
      const answer = await nextMessage(link, [PairAcceptMessage, PairRefuseMessage], PAIRING_TIMEOUT_MS);
      if (answer.t === 'pair-refuse') {
        if (answer.code === 'LOG_FORK') {
          // The inviter holds another copy of our own log: we were recovered on a fresh copy.
          this.node.options.events.publish('identity.fork', {
            userId: this.node.userId,
            from: invite.user,
            hint: OWN_FORK_HINT,
          });
        }
        throw answer.code === 'LOG_FORK' ? new KithError('LOG_FORK', OWN_FORK_HINT) : refusal(answer.code);
      }
      const theirs = verifyLog(answer.log);
      const inviter = [...theirs.devices.values()].find((d) =>
        constantTimeEqual(d.certificate.agreementKey, invite.key),
      );
      if (theirs.userId !== invite.user || !inviter || inviter.status !== 'active') {
        throw new KithError('PAIRING_FAILED', 'The other side’s identity does not match the invite.');
      }
      const before = await this.pending.before(theirs.userId);
      await this.node.identity.merge(answer.log);
      const record = readRecord(answer.addressRecord);
      if (record) await this.node.offerAddressRecord(record);
      const result: PairingResult = {
        role: 'friend',
        userId: theirs.userId,
        name: theirs.name || null,
        deviceId: inviter.certificate.deviceId,
        sas: shortAuthenticationString(link.handshakeHash),
      };
      // Active only once the person confirms the six digits (pending-friends.ts).
      await this.pending.hold({
        userId: result.userId,
        name: result.name,
        deviceId: result.deviceId,
        sas: result.sas,
        side: 'acceptor',
        ...before,
      });
      this.node.options.events.publish('pairing.completed', { ...result });
      // Up while the digits are compared: a reject travels on it (pairing-links.ts).
      this.pending.holdLink(result.userId, link);
      held = true;
      void this.node.dialDue();
      return result;
    } finally {
      if (!held) link.close();
    }
  }
}
