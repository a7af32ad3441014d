/**
 * This device's signed address record and the address records of others (docs/DESIGN.md §6):
 * where peers see us, re-signing when our addresses change, and the records peers send us.
 */
import { type AddressRecord, signAddressRecord, verifyAddressRecord } from '@kith/core/address-record';
import { constantTimeEqual } from '@kith/core/crypto/index';
import { formatAddress, hostOf, listeningAddresses, observedHost } from './own-addresses.ts';
import type { PeerSession } from './peer-session.ts';
import { recordsToCheck } from './address-intake.ts';
import { IdentityLogSync } from './identity-log-sync.ts';

/** Hosts seen by peers that we add to our record; the newest few only. */
const MAX_OBSERVED = 2;
/** Hosts whose sightings are remembered while waiting for a second user to confirm them. */
const MAX_SIGHTINGS = 16;

export abstract class OwnAddress extends IdentityLogSync {
  private observedHosts: string[] = [];
  /** Outside hosts peers saw us at, and which users saw each (most recent last). */
  private readonly sightings = new Map<string, Set<string>>();
  private ownRecord: AddressRecord | undefined;

  /**
   * A peer reports where it sees us: a new outside host means our address changed. Our record
   * goes to every friend, so one friend alone must not steer it (docs/SECURITY.md "A friend
   * turned hostile"): only IP literals, and only once two distinct users saw us there.
   */
  protected async observe(session: PeerSession, seenAddress: string): Promise<void> {
    // An announced address is the operator's word: sightings from behind a NAT or a container
    // port mapping would only add addresses nobody can dial.
    if (this.options.announce?.length) return;
    const host = observedHost(seenAddress, this.port);
    if (host === undefined) return;
    const advertised = listeningAddresses(this.options.host, this.port).map(hostOf);
    if (advertised.includes(host) || this.observedHosts.includes(host)) return;
    // Loopback sightings say nothing about the outside unless we listen on loopback ourselves.
    if ((host.startsWith('127.') || host === '::1') && !this.options.host.startsWith('127.')) return;
    const seenBy = this.sightings.get(host) ?? new Set<string>();
    seenBy.add(session.userId);
    this.sightings.delete(host);
    this.sightings.set(host, seenBy);
    for (const oldest of this.sightings.keys()) {
      if (this.sightings.size <= MAX_SIGHTINGS) break;
      this.sightings.delete(oldest);
    }
    if (seenBy.size < 2) return;
    await this.refreshOwnRecord([host, ...this.observedHosts].slice(0, MAX_OBSERVED));
  }

  ownAddresses(observed: readonly string[] = this.observedHosts): string[] {
    if (this.options.announce?.length) return [...this.options.announce];
    const base = listeningAddresses(this.options.host, this.port);
    const mapped = this.options.portMapping?.externalAddresses() ?? [];
    return [...new Set([...base, ...mapped, ...observed.map((h) => formatAddress(h, this.port))])];
  }

  /** Our addresses may have changed (a router mapping came or went): re-sign the record if so. */
  async addressesChanged(): Promise<void> {
    if (!this.stopped && this.listener) await this.refreshOwnRecord();
  }

  get ownAddressRecord(): AddressRecord | undefined {
    return this.ownRecord;
  }

  /**
   * Re-signs our record when our addresses changed; gossips it and tries every known node.
   * `observed` (outside hosts peers saw us at) is kept only once a record with it is signed.
   */
  protected async refreshOwnRecord(observed: readonly string[] = this.observedHosts): Promise<void> {
    const addresses = this.ownAddresses(observed);
    const current = this.ownRecord ?? (await this.addresses.get(this.deviceId));
    const relay = this.options.device.relay;
    const relayCertified =
      !relay ||
      (current?.relay !== undefined && constantTimeEqual(current.relay.linkKey, relay.link.publicKey));
    if (current && ((sameSet(current.addresses, addresses) && relayCertified) || this.locked)) {
      // Locked, the device key cannot sign: the record signed while unlocked stands.
      this.observedHosts = [...observed];
      this.ownRecord = current;
      return;
    }
    if (this.locked) return;
    const bytes = signAddressRecord(this.options.device.keys.signing, {
      seq: (current?.seq ?? -1) + 1,
      addresses,
      issuedAt: this.clock(),
      ...(relay ? { relay: { linkKey: relay.link.publicKey, relaySigner: relay.signing.publicKey } } : {}),
    });
    this.observedHosts = [...observed];
    this.ownRecord = verifyAddressRecord(bytes);
    await this.offerAddressRecord(this.ownRecord);
    this.log.info({ addresses, seq: this.ownRecord.seq }, 'own address record updated');
    this.options.events.publish('addresses.changed', { addresses, seq: this.ownRecord.seq });
    for (const s of this.sessions.values()) {
      if (s.ready) s.send({ v: 1, t: 'address-records', records: [bytes] });
    }
    if (current) {
      // Our address changed: try every known node now (docs/DESIGN.md §6).
      for (const d of this.dialing.values()) d.nextAt = 0;
      void this.dialDue();
    }
  }

  /** Sends the records the peer lacks: to a friend only our own devices', to our devices all. */
  protected async sendRecords(session: PeerSession, theirs: Map<string, number> | undefined): Promise<void> {
    const mine = session.userId === this.userId;
    const ownIds = new Set([...this.own.devices.values()].map((d) => d.certificate.deviceId));
    const records = (await this.addresses.all()).filter(
      (r) =>
        r.deviceId !== session.deviceId &&
        (mine || ownIds.has(r.deviceId)) &&
        (theirs === undefined || (theirs.get(r.deviceId) ?? -1) < r.seq),
    );
    if (records.length) session.send({ v: 1, t: 'address-records', records: records.map((r) => r.bytes) });
  }

  /**
   * Address records from a peer: the cheap checks first (address-intake.ts), then the
   * signatures of what is left, within the peer's work budget.
   */
  async onAddressRecords(session: PeerSession, records: Uint8Array[]): Promise<void> {
    if (records.length === 0) return;
    const due = await recordsToCheck(records, {
      ownDeviceId: this.deviceId,
      senderUserId: session.userId,
      fromOwn: session.userId === this.userId,
      held: await this.addresses.versions(),
      devices: new Map((await this.identity.allDevices()).map((d) => [d.deviceId, d])),
      isRelated: (userId) => this.isOursOrFriend(userId),
    });
    if (due.length === 0) return;
    await this.budgetFor(session).spend(due.length);
    let fresh = false;
    for (const bytes of due) {
      let record: AddressRecord;
      try {
        record = verifyAddressRecord(bytes);
      } catch {
        continue;
      }
      if (await this.offerAddressRecord(record)) {
        fresh = true;
        const d = this.dialing.get(record.deviceId);
        if (d && !this.sessions.has(record.deviceId)) d.nextAt = 0; // try the new address now
      }
    }
    if (fresh) {
      this.options.events.publish('addresses.updated', { from: session.deviceId });
      void this.dialDue();
    }
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
