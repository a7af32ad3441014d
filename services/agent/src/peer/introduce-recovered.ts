/**
 * A recovered device introduced to friends who never saw it (docs/PROTOCOL.md §9 "Friends
 * after a recovery"). A friend's node admits only devices its copy of our log lists, and that
 * copy still lists the lost devices as active. With the phrase, the archive restore
 * (archive/archive-restore.ts) derives a lost device's keys and dials each friend once as that
 * device: the link carries our hello and our whole log — root-signed revocations of the lost
 * devices and the new device — and nothing else. The friend merges it, drops the link (its
 * device is now revoked) and from then on admits the new device. The keys live in the agent's
 * memory for the restore's run only, never on disk.
 */
import { verifyAddressRecord } from '@kith/core/address-record';
import type { FriendBundle } from '@kith/core/archive/friend-bundle';
import { isKithError } from '@kith/core/errors';
import type { AgreementKeyPair } from '@kith/core/identity/derive';
import { activeDevices, type LogState, verifyLog } from '@kith/core/identity/log';
import { HelloMessage } from '@kith/core/wire/hello';
import { LogEntriesMessage } from '@kith/core/wire/identity-log';
import { connectLink } from '../link/connect.ts';

export interface LostDevice {
  /** The lost device's X25519 key, derived from the phrase (its Noise static key). */
  keys: AgreementKeyPair;
  /** Its certificate as our log carries it. */
  certificate: Uint8Array;
}

export interface Introduction {
  user: string;
  device: string;
  /** `merged`: the friend dropped the lost device's link after our log (it took the revocation). */
  outcome: 'merged' | 'unconfirmed' | 'unreachable';
  code?: string;
}

/** Waits this long for the friend to drop the link once our log is sent. */
const MERGE_WAIT_MS = 15_000;

/** A friend device to introduce this device to, where its archived address record says. */
export interface IntroductionTarget {
  user: string;
  device: string;
  addresses: string[];
  /** The key it answers links on (its relay link key, else its certificate's). */
  key: Uint8Array;
}

/** The active devices of the archived friends, with an address record that verifies. */
export function introductionTargets(
  friends: FriendBundle['friends'],
  skipDevices?: ReadonlySet<string>,
): IntroductionTarget[] {
  const out: IntroductionTarget[] = [];
  for (const friend of friends) {
    let log: LogState;
    try {
      log = verifyLog(friend.log);
    } catch {
      continue;
    }
    const records = new Map<string, ReturnType<typeof verifyAddressRecord>>();
    for (const bytes of friend.addresses) {
      try {
        const r = verifyAddressRecord(bytes);
        records.set(r.deviceId, r);
      } catch {
        // skipped: a friend's record that does not verify is no address
      }
    }
    for (const device of activeDevices(log)) {
      const record = records.get(device.deviceId);
      if (!record || skipDevices?.has(device.deviceId)) continue;
      out.push({
        user: friend.user,
        device: device.deviceId,
        addresses: record.addresses,
        key: record.relay?.linkKey ?? device.agreementKey,
      });
    }
  }
  return out;
}

export async function introduceRecovered(options: {
  own: LogState;
  lost: LostDevice[];
  friends: FriendBundle['friends'];
  /** Devices that need no introduction (linked to us now). */
  skipDevices?: ReadonlySet<string>;
  waitMs?: number;
}): Promise<{ introduced: Introduction[]; targets: IntroductionTarget[] }> {
  const targets = introductionTargets(options.friends, options.skipDevices);
  const introduced: Introduction[] = [];
  for (const target of targets) introduced.push(await introduceTo(options, target));
  return { introduced, targets };
}

/** One introduction: a link as each lost device in turn, at each address, until one takes. */
export async function introduceTo(
  options: { own: LogState; lost: LostDevice[]; waitMs?: number },
  target: IntroductionTarget,
): Promise<Introduction> {
  const { user, device } = target;
  let code: string | undefined;
  for (const address of target.addresses) {
    for (const lost of options.lost) {
      let link: Awaited<ReturnType<typeof connectLink>>;
      try {
        link = await connectLink({
          url: `ws://${address}`,
          staticKeyPair: lost.keys,
          remoteStaticKey: target.key,
        });
      } catch (err) {
        code = isKithError(err) ? err.code : 'LINK_CONNECT_FAILED';
        continue;
      }
      const dropped = link.closed.then(() => true);
      try {
        link.send(
          HelloMessage.encode({
            v: 1,
            t: 'hello',
            cert: lost.certificate,
            logSeq: options.own.seq,
            logHead: options.own.head,
            seenAddress: '',
          }),
        );
        link.send(
          LogEntriesMessage.encode({
            v: 1,
            t: 'log-entries',
            user: options.own.userId,
            fromSeq: 0,
            entries: options.own.entries,
          }),
        );
      } catch (err) {
        link.close();
        code = isKithError(err) ? err.code : 'LINK_CLOSED';
        continue;
      }
      const waited = new Promise<false>((r) =>
        setTimeout(() => r(false), options.waitMs ?? MERGE_WAIT_MS).unref(),
      );
      const merged = await Promise.race([dropped, waited]);
      link.close();
      return { user, device, outcome: merged ? 'merged' : 'unconfirmed' };
    }
  }
  return { user, device, outcome: 'unreachable', ...(code ? { code } : {}) };
}
