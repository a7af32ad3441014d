/**
 * Identity logs over the peer links (docs/PROTOCOL.md "Messages"): our own log and friends' logs
 * are asked for, merged and passed on; a new device or a revocation reaches every linked device,
 * and links to revoked devices close.
 */
import { verifyAddressRecord } from '@kith/core/address-record';
import { constantTimeEqual } from '@kith/core/crypto/index';
import { KithError, isKithError } from '@kith/core/errors';
import { deriveRootKeys } from '@kith/core/identity/derive';
import { type LogState, appendEntry, findDevice } from '@kith/core/identity/log';
import { checkPhrase, phraseToSeed } from '@kith/core/identity/phrase';
import type { MessageOf } from '@kith/core/wire/message';
import type { LogEntriesMessage, LogRequestMessage } from '@kith/core/wire/identity-log';
import { readBootstrap, readIdentityLog, removeBootstrap, writeIdentityLog } from '../keystore/index.ts';
import type { IdentityRepository } from '../repositories/identity-repository.ts';
import type { PeerSession } from './peer-session.ts';
import { OWN_FORK_HINT } from './peer-node-options.ts';
import { PeerNodeBase } from './peer-node-base.ts';
import type { FriendListSync } from './friend-list-sync.ts';

export abstract class IdentityLogSync extends PeerNodeBase {
  /** Our friend list, kept in sync across our own devices (friend-list-sync.ts). */
  abstract readonly friendList: FriendListSync;
  /** Reads what is sealed under the storage key: the log file and the bootstrap (unlocked only). */
  protected async openOwnState(): Promise<void> {
    const fromFile = await readIdentityLog(this.options.dataDir, this.options.device);
    this.own = (await this.identity.merge(fromFile)).state;
    await this.syncOwnLogFile();
    await this.importBootstrap();
  }

  /**
   * A device enrolled from an invite was handed the inviter's address record, and one recovered
   * with a friend's invite that friend's log too (docs/PROTOCOL.md §9): record the friend, dial
   * it first. Imported once; the file is then removed.
   */
  private async importBootstrap(): Promise<void> {
    const bootstrap = await readBootstrap(this.options.dataDir, this.options.device);
    for (const entries of bootstrap.friendLogs) {
      try {
        const { state } = await this.identity.merge(entries);
        if (state.userId === this.userId || (await this.friends.isFriend(state.userId))) continue;
        if (await this.friends.isBlocked(state.userId)) continue;
        await this.friends.add(state.userId, state.name || null);
        await this.friendList.record(state.userId, 'friend');
        this.options.events.publish('friend.added', { userId: state.userId, via: 'recovery' });
      } catch (err) {
        this.log.warn(
          { code: isKithError(err) ? err.code : undefined },
          'peer: a handed-over log was refused',
        );
      }
    }
    for (const bytes of bootstrap.records) {
      try {
        const record = verifyAddressRecord(bytes);
        if (await this.identity.device(record.deviceId)) await this.offerAddressRecord(record);
      } catch {}
    }
    if (bootstrap.records.length || bootstrap.friendLogs.length) await removeBootstrap(this.options.dataDir);
  }

  protected async syncOwnLogFile(): Promise<void> {
    if (this.locked) return; // written at the unlock (openOwnState)
    await writeIdentityLog(this.options.dataDir, this.options.device, this.own.entries);
  }

  async onLogRequest(session: PeerSession, request: MessageOf<typeof LogRequestMessage>): Promise<void> {
    const allowed =
      request.user === this.userId || request.user === session.userId || session.userId === this.userId;
    if (!allowed) return;
    const entries = await this.identity.entries(request.user);
    if (entries.length) session.send({ v: 1, t: 'log-entries', user: request.user, fromSeq: 0, entries });
  }

  async onLogEntries(session: PeerSession, message: MessageOf<typeof LogEntriesMessage>): Promise<void> {
    // A friend may tell us about itself; only our own devices tell us about anyone else.
    const fromOwn = session.userId === this.userId;
    if (!fromOwn && message.user !== session.userId) return;
    // A copy we already hold (all of it, or a prefix) says nothing new: no signature is checked.
    const known = await this.identity.entries(message.user);
    if (
      message.entries.length <= known.length &&
      message.entries.every((e, i) => constantTimeEqual(e, known[i]!))
    )
      return;
    // Merging checks every entry's signature, about twice over.
    await this.budgetFor(session).spend(2 * message.entries.length);
    let result: Awaited<ReturnType<IdentityRepository['merge']>>;
    try {
      result = await this.identity.merge(message.entries);
    } catch (err) {
      if (isKithError(err, 'LOG_FORK')) {
        // Our own log forked: this device was recovered on a fresh copy (SECURITY.md "Known gaps").
        // Never merged silently; the user re-recovers from a friend's copy.
        this.options.events.publish('identity.fork', {
          userId: message.user,
          from: session.deviceId,
          ...(message.user === this.userId ? { hint: OWN_FORK_HINT } : {}),
        });
      }
      this.log.warn(
        { code: isKithError(err) ? err.code : undefined, user: message.user },
        'peer: refused a log copy',
      );
      return;
    }
    if (result.state.userId !== message.user) return;
    if (result.state.userId === this.userId) {
      if (result.changed) {
        this.own = result.state;
        await this.syncOwnLogFile();
        this.broadcastOwnLog();
      }
    }
    // Who is a friend comes from the signed friend list (friend-list-sync.ts), not from log copies.
    if (result.changed) {
      this.options.events.publish('identity.updated', { userId: result.state.userId, seq: result.state.seq });
      await this.closeRevokedLinks();
      void this.dialDue();
    }
  }

  /** Sends our log to every linked device (friends and own): a new device or a revocation must reach them. */
  broadcastOwnLog(): void {
    for (const s of this.sessions.values()) {
      if (s.ready)
        s.send({ v: 1, t: 'log-entries', user: this.userId, fromSeq: 0, entries: this.own.entries });
    }
  }

  /** Applies a new state of our own log (from pairing) and tells everyone. */
  async adoptOwnLog(entries: Uint8Array[]): Promise<void> {
    const result = await this.identity.merge(entries);
    this.own = result.state;
    await this.syncOwnLogFile();
    this.broadcastOwnLog();
    await this.closeRevokedLinks();
    void this.dialDue();
  }

  /**
   * A friend's log extended outside a link (recovery with an invite, docs/PROTOCOL.md §9): store
   * it, pass it to our own devices, and drop links to devices it revokes.
   */
  async adoptFriendLog(entries: Uint8Array[]): Promise<LogState> {
    const result = await this.identity.merge(entries);
    const user = result.state.userId;
    if (result.changed) {
      for (const s of this.sessions.values()) {
        if (s.ready && s.userId === this.userId)
          s.send({ v: 1, t: 'log-entries', user, fromSeq: 0, entries: result.state.entries });
      }
      this.options.events.publish('identity.updated', { userId: user, seq: result.state.seq });
      await this.closeRevokedLinks();
      void this.dialDue();
    }
    return result.state;
  }

  /** Revokes one of our devices with the root key from the phrase (docs/DESIGN.md §4), and tells everyone. */
  async revokeDevice(
    deviceId: string,
    phrase: string,
    bip39Passphrase = '',
  ): Promise<{ deviceId: string; index: number }> {
    const root = deriveRootKeys(phraseToSeed(checkPhrase(phrase), bip39Passphrase));
    if (root.userId !== this.userId)
      throw new KithError('PHRASE_INVALID', 'It is the phrase of another user than this device’s.');
    const record = findDevice(this.own, deviceId);
    if (!record)
      throw new KithError('INVALID_INPUT', `Device ${deviceId} is not one of this user's devices.`);
    if (record.status === 'revoked')
      throw new KithError('DEVICE_REVOKED', `Device ${deviceId} is already revoked.`);
    if (deviceId === this.deviceId)
      throw new KithError('INVALID_INPUT', 'A device does not revoke itself; run this on another device.');
    const state = appendEntry(
      this.own,
      { kind: 'root', seed: root.root.seed },
      { type: 'revoke-device', index: record.certificate.index, reason: 'revoked by its owner' },
      this.clock(),
    );
    await this.adoptOwnLog(state.entries);
    this.options.events.publish('device.revoked', { deviceId });
    return { deviceId, index: record.certificate.index };
  }

  private async closeRevokedLinks(): Promise<void> {
    for (const s of [...this.sessions.values()]) {
      const row = await this.identity.device(s.deviceId);
      if (row?.status !== 'active') s.close();
    }
  }
}
