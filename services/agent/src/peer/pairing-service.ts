/**
 * Pairing in person (docs/DESIGN.md §6, docs/PROTOCOL.md "Pairing"). The inviter's node makes a one-time
 * invite (code + QR); the acceptor opens a Noise IKpsk2 link with the invite's key and secret and
 * sends `pair-request`. A friend invite swaps identity logs; an own-device invite hands the new
 * device the keys the root holder derived from the phrase, and the log that now lists it.
 * Both people compare the short authentication string derived from the handshake hash.
 */
import { type AddressRecord, verifyAddressRecord } from '@kith/core/address-record';
import { decodeCanonical, encodeCanonical } from '@kith/core/codec';
import { constantTimeEqual, defaultBackend, toHex } from '@kith/core/crypto/index';
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
import { connectLink } from '../link/connect.ts';
import { InviteRepository } from '../repositories/invite-repository.ts';
import { nextMessage } from './next-message.ts';
import { OWN_FORK_HINT, type PeerNode } from './peer-node.ts';
import { openBox, sealBox } from './sealed-box.ts';

export const DEFAULT_INVITE_TTL_MS = 10 * 60_000;
export const MAX_INVITE_TTL_MS = 24 * 60 * 60_000;
const PAIRING_TIMEOUT_MS = 30_000;

export interface CreatedInvite {
  id: string;
  role: InviteRole;
  code: string;
  expiresAt: string;
}

export interface PairingResult {
  role: InviteRole;
  userId: string;
  name: string | null;
  deviceId: string;
  sas: string;
  /** A friend's device recovered from the phrase with this (friend) invite. */
  recovery?: true;
}

interface SealedInvite {
  secret: Uint8Array;
  /** For a device invite: the prepared device-enrol message and the own-log length it builds on. */
  enrol: Uint8Array | null;
  baseLength: number;
}

export class PairingService {
  readonly name = 'pairing';
  private readonly invites: InviteRepository;
  private wipeTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly node: PeerNode) {
    this.invites = new InviteRepository(node.options.components.db.db);
    node.lookupPsk = (id) => this.lookupPsk(id);
    node.onInviteLink = (link) => void this.answer(link);
  }

  /** Wipes what expired while the agent was down, then each invite as it expires. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.wipeExpired();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wipeTimer);
  }

  /** Empties the sealed secrets (a device invite: the new device's keys) of expired invites. */
  async wipeExpired(): Promise<void> {
    await this.invites.wipeExpired(new Date(this.node.clock()));
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

  private get storageKey() {
    return this.node.options.device.storageKey;
  }

  async createInvite(options: {
    role: InviteRole;
    ttlMs?: number;
    phrase?: string;
    bip39Passphrase?: string;
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
    const now = clock();
    const expiresAt = now + ttl;
    const sealed: SealedInvite = { secret, enrol, baseLength: this.node.ownLog.entries.length };
    await this.invites.create({
      id: toHex(idBytes),
      role: options.role,
      secretSealed: sealBox(this.storageKey, 'invite', encodeCanonical(sealed as never), random),
      createdAt: new Date(now),
      expiresAt: new Date(expiresAt),
    });
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
    return { id: toHex(idBytes), role: options.role, code, expiresAt: new Date(expiresAt).toISOString() };
  }

  private async openInvite(id: string): Promise<SealedInvite | undefined> {
    const row = await this.invites.get(id);
    if (!row || row.usedAt || row.expiresAt.getTime() <= this.node.clock()) return undefined;
    const doc = decodeCanonical(
      openBox(this.storageKey, 'invite', row.secretSealed),
    ) as unknown as SealedInvite;
    return doc;
  }

  private async lookupPsk(inviteId: Uint8Array): Promise<Uint8Array | undefined> {
    const invite = await this.openInvite(toHex(inviteId));
    return invite ? invitePsk(invite.secret) : undefined;
  }

  async status(
    id: string,
  ): Promise<{ id: string; role: string; expiresAt: string; used: boolean; result: PairingResult | null }> {
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
      if (!invite || !row) return refuse('INVITE_USED');
      const sas = shortAuthenticationString(link.handshakeHash);
      if (request.t === 'recover-request') {
        if (row.role !== 'friend') return refuse('INVITE_ROLE');
        const done = await this.answerRecovery(link, id, request.user, sas);
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
        if (!(await this.invites.consume(id, new Date(this.node.clock()), theirs.userId)))
          return refuse('INVITE_USED');
        await this.node.identity.merge(request.log);
        // A new invite of ours, used in person: the person chose this friend again.
        await this.node.friends.unblock(theirs.userId);
        await this.node.friends.add(theirs.userId, theirs.name || null);
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
      } else {
        if (request.log !== null || !invite.enrol) return refuse('INVITE_ROLE');
        if (this.node.ownLog.entries.length !== invite.baseLength) return refuse('PAIRING_FAILED');
        const enrol = DeviceEnrolMessage.decode(invite.enrol);
        const log = verifyLog(enrol.log);
        const cert = log.devices.get(enrol.index)!.certificate;
        if (!(await this.invites.consume(id, new Date(this.node.clock()), cert.deviceId)))
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
      // Let the answer flush; the IK link replaces this one.
      setTimeout(() => link.close(), 1000).unref?.();
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
  private async answerRecovery(link: Link, id: string, user: string, sas: string): Promise<true | string> {
    if (user === this.node.userId) return 'INVITE_ROLE';
    const known = await this.node.identity.entries(user);
    if (known.length === 0 || !(await this.node.friends.isFriend(user))) return 'RECOVERY_UNKNOWN_USER';
    // Single use from here, as a pair-request: one invite reveals at most one friend's log.
    if (!(await this.invites.consume(id, new Date(this.node.clock()), user))) return 'INVITE_USED';
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
  async acceptFriend(code: string): Promise<PairingResult> {
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
      await this.node.identity.merge(answer.log);
      await this.node.friends.unblock(theirs.userId);
      await this.node.friends.add(theirs.userId, theirs.name || null);
      const record = readRecord(answer.addressRecord);
      if (record) await this.node.offerAddressRecord(record);
      const result: PairingResult = {
        role: 'friend',
        userId: theirs.userId,
        name: theirs.name || null,
        deviceId: inviter.certificate.deviceId,
        sas: shortAuthenticationString(link.handshakeHash),
      };
      this.node.options.events.publish('pairing.completed', { ...result });
      void this.node.dialDue();
      return result;
    } finally {
      link.close();
    }
  }
}

export function readRecord(bytes: Uint8Array): AddressRecord | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return verifyAddressRecord(bytes);
  } catch {
    return undefined;
  }
}

export function refusal(code: string): KithError {
  const known = [
    'INVITE_USED',
    'INVITE_EXPIRED',
    'INVITE_ROLE',
    'INVITE_INVALID',
    'RECOVERY_UNKNOWN_USER',
    'RECOVERY_INVALID',
    'LOG_INVALID',
    'LOG_FORK',
    'DEVICE_INDEX_USED',
  ] as const;
  const match = known.find((k) => k === code);
  return match
    ? new KithError(match)
    : new KithError('PAIRING_FAILED', `The inviter refused (${code.slice(0, 40)}).`);
}

/**
 * Dials an invite from a machine that has no device keys yet (an own-device enrolment, a
 * recovery): a throwaway static key, since the keys depend on what the inviter hands back.
 */
export function dialInviteWithThrowawayKey(
  invite: ReturnType<typeof decodeInvite>,
  env: { clock: () => number; random: (n: number) => Uint8Array },
): Promise<Link> {
  const temporary = env.random(32);
  return dialInvite(
    invite,
    { privateKey: temporary, publicKey: defaultBackend().x25519PublicKey(temporary) },
    env,
  );
}

/** Tries each address in the invite until one answers the IKpsk2 handshake. */
export async function dialInvite(
  invite: ReturnType<typeof decodeInvite>,
  staticKeyPair: { privateKey: Uint8Array; publicKey: Uint8Array },
  env: {
    clock: () => number;
    random: (n: number) => Uint8Array;
    sourceAddress?: () => { localAddress?: string };
  },
): Promise<Link> {
  const psk = invitePsk(invite.secret);
  let last: unknown;
  for (const address of invite.addrs) {
    try {
      return await connectLink({
        url: `ws://${address}`,
        staticKeyPair,
        remoteStaticKey: invite.key,
        invite: { id: invite.id, psk },
        clock: env.clock,
        random: env.random,
        limits: { handshakeTimeoutMs: 5000 },
        ...(env.sourceAddress?.() ?? {}),
      });
    } catch (err) {
      last = err;
    }
  }
  throw new KithError(
    'PAIRING_FAILED',
    `No answer at ${invite.addrs.join(', ')}: is the inviter's agent running, and the invite still open?`,
    { cause: last },
  );
}
