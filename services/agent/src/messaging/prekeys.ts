/**
 * Device prekeys (docs/SECURITY.md "Forward secrecy", wire/prekey.ts): this device's rotating
 * medium-term X25519 keys, and the newest one each peer device published. Epoch keys are sealed
 * to the target's prekey; a target whose prekey is unknown or expired gets its long-term
 * agreement key, as before prekeys existed (a first epoch right after pairing, an old peer).
 */
import type { AgreementKeyPair } from '@kith/core/identity/derive';
import { defaultBackend, toHex } from '@kith/core/crypto/index';
import { isKithError } from '@kith/core/errors';
import type { MessageOf } from '@kith/core/wire/message';
import { type PrekeyMessage, signDevicePrekey, verifyDevicePrekey } from '@kith/core/wire/prekey';
import { devicePrekeys, peerPrekeys } from '@kith/db/schema';
import { desc, eq, lte } from 'drizzle-orm';
import type { ErasureKeys } from '../keystore/erasure-keys.ts';
import type { PeerNode } from '../peer/peer-node.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import type { SecrecySchedule } from './secrecy-schedule.ts';

interface OwnPrekey {
  pair: AgreementKeyPair;
  signed: Uint8Array;
  createdAt: number;
}

interface PeerPrekey {
  key: Uint8Array;
  createdAt: number;
  expiresAt: number;
}

export class Prekeys {
  /** Own prekey private halves not yet erased, newest first (null: not loaded). */
  private own: OwnPrekey[] | null = null;
  private readonly peers = new Map<string, PeerPrekey | null>();
  private rotating: Promise<void> | undefined;

  constructor(
    private readonly node: PeerNode,
    private readonly erasure: ErasureKeys,
    private readonly schedule: SecrecySchedule,
  ) {}

  private get db() {
    return this.node.options.components.db.db;
  }
  private get now() {
    return this.schedule.clock();
  }

  private async loadOwn(): Promise<OwnPrekey[]> {
    if (this.own) return this.own;
    const rows = await this.db.select().from(devicePrekeys).orderBy(desc(devicePrekeys.createdAt));
    const own: OwnPrekey[] = [];
    for (const r of rows) {
      const privateKey = await this.erasure.open(r.eraseBucket, 'prekey', r.privateSealed);
      if (!privateKey) continue;
      own.push({
        pair: { privateKey, publicKey: r.publicKey },
        signed: r.signed,
        createdAt: r.createdAt.getTime(),
      });
    }
    this.own = own;
    return own;
  }

  /** The private halves this device still holds, to open epoch keys sealed to them. */
  async privateKeys(): Promise<AgreementKeyPair[]> {
    return (await this.loadOwn()).map((o) => o.pair);
  }

  /**
   * Makes a new prekey when there is none or the newest is due for rotation, and publishes it
   * on every live link. Returns whether one was made.
   */
  async rotateIfDue(): Promise<boolean> {
    if (this.node.locked) return false;
    while (this.rotating) await this.rotating;
    const own = await this.loadOwn();
    const newest = own[0];
    if (newest && this.now - newest.createdAt < this.schedule.prekeyRotateMs) return false;
    const run = this.rotate();
    this.rotating = run;
    try {
      await run;
    } finally {
      this.rotating = undefined;
    }
    for (const session of this.node.onlineSessions()) await this.publish(session);
    return true;
  }

  private async rotate(): Promise<void> {
    const now = this.now;
    const privateKey = this.node.random(32);
    const pair = { privateKey, publicKey: defaultBackend().x25519PublicKey(privateKey) };
    const signed = signDevicePrekey(
      {
        device: this.node.deviceId,
        key: pair.publicKey,
        createdAt: now,
        expiresAt: now + this.schedule.prekeyUseMs,
      },
      this.node.options.device.keys.signing.seed,
    );
    const eraseBucket = this.erasure.bucketFor(now + this.schedule.prekeyKeepMs);
    await this.db.insert(devicePrekeys).values({
      publicKey: pair.publicKey,
      privateSealed: await this.erasure.seal(eraseBucket, 'prekey', privateKey),
      signed,
      createdAt: new Date(now),
      eraseBucket,
    });
    (await this.loadOwn()).unshift({ pair, signed, createdAt: now });
  }

  /** Erases the prekeys whose time is over (rows here; their bucket keys in the sweep). */
  async eraseOld(): Promise<number> {
    const cutoff = new Date(this.now - this.schedule.prekeyKeepMs);
    const gone = await this.db
      .delete(devicePrekeys)
      .where(lte(devicePrekeys.createdAt, cutoff))
      .returning({ key: devicePrekeys.publicKey });
    await this.db.delete(peerPrekeys).where(lte(peerPrekeys.expiresAt, new Date(this.now)));
    for (const [device, p] of this.peers) if (p && p.expiresAt <= this.now) this.peers.delete(device);
    if (gone.length) this.own = null;
    return gone.length;
  }

  /** Buckets still sealing a prekey this device keeps. */
  async bucketsInUse(): Promise<number[]> {
    const rows = await this.db.select({ b: devicePrekeys.eraseBucket }).from(devicePrekeys);
    return rows.map((r) => r.b);
  }

  /** Sends this device's newest prekey on a link (at link-up and after a rotation). */
  async publish(session: PeerSession): Promise<void> {
    if (this.node.locked) return;
    const newest = (await this.loadOwn())[0];
    if (newest) session.send({ v: 1, t: 'prekey', prekeys: [newest.signed] });
  }

  /** A peer device's prekey: kept when it verifies, is not expired and is newer than the one held. */
  async onPrekey(session: PeerSession, message: MessageOf<typeof PrekeyMessage>): Promise<void> {
    const device = await this.node.identity.device(session.deviceId);
    if (device?.status !== 'active') return;
    for (const bytes of message.prekeys) {
      let p: ReturnType<typeof verifyDevicePrekey>;
      try {
        p = verifyDevicePrekey(bytes, session.deviceId, device.signingPublicKey);
      } catch (err) {
        this.node.log.warn(
          { peer: session.deviceId, code: isKithError(err) ? err.code : undefined },
          'prekeys: refused a prekey',
        );
        continue;
      }
      if (p.expiresAt <= this.now) continue;
      const held = await this.peerPrekey(session.deviceId);
      if (held && held.createdAt >= p.createdAt) continue;
      const row = {
        deviceId: session.deviceId,
        publicKey: p.key,
        createdAt: new Date(p.createdAt),
        expiresAt: new Date(p.expiresAt),
      };
      await this.db
        .insert(peerPrekeys)
        .values(row)
        .onConflictDoUpdate({ target: peerPrekeys.deviceId, set: row });
      this.peers.set(session.deviceId, { key: p.key, createdAt: p.createdAt, expiresAt: p.expiresAt });
      this.node.options.events.publish('prekey.received', { device: session.deviceId, key: toHex(p.key) });
    }
  }

  private async peerPrekey(device: string): Promise<PeerPrekey | null> {
    if (this.peers.has(device)) return this.peers.get(device) ?? null;
    const [row] = await this.db.select().from(peerPrekeys).where(eq(peerPrekeys.deviceId, device)).limit(1);
    const p = row
      ? { key: row.publicKey, createdAt: row.createdAt.getTime(), expiresAt: row.expiresAt.getTime() }
      : null;
    this.peers.set(device, p);
    return p;
  }

  /** The key an epoch key for `target` is sealed to: its prekey while valid, else its agreement key. */
  async sealingKey(target: DeviceRow): Promise<Uint8Array> {
    const p = await this.peerPrekey(target.deviceId);
    return p && p.expiresAt > this.now ? p.key : target.staticPublicKey;
  }

  /** The device was locked: private halves in memory go. */
  forget(): void {
    this.own = null;
  }
}
