/** The `deliver` wire message as the messenger's parts send it (messenger.ts). */
import type { DeliverMessage } from '@kith/core/wire/deliver';
import type { MessageOf } from '@kith/core/wire/message';
import type { PeerSession } from '../peer/peer-session.ts';

export type Deliver = MessageOf<typeof DeliverMessage>;
export type Kind = Deliver['kind'];

/**
 * `deliver-refused` codes with which a target says it could not store an item now (its disk was
 * full, or another failure of its own): the sender offers it again on the same link after a
 * while (outbox-pump.ts `refused`), where other refusals wait for the next link.
 */
export const RETRY_LATER_CODES: ReadonlySet<string> = new Set(['DISK_FULL', 'INTERNAL']);

/** The key of one item on its way to one target device. */
export const itemKey = (idHex: string, target: string) => `${idHex}/${target}`;

/** Sends an item on a link; false when the link did not take it. */
export function sendDeliver(
  session: PeerSession,
  kind: Kind,
  item: Uint8Array,
  to: string[],
  hops: number,
  origin: string,
): boolean {
  return session.send({ v: 1, t: 'deliver', kind, item, to, origin, hops });
}
