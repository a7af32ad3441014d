/**
 * `kith name NAME` (docs/API.md "Identity"): the user's display name is a `profile` entry of the
 * identity log, signed by this device (any active device may sign one; the last one counts), and
 * goes to every device and friend with the log, like a revocation.
 */
import { KithError } from '@kith/core/errors';
import { appendEntry } from '@kith/core/identity/log';
import type { PeerNode } from './peer-node.ts';

export const MAX_NAME_LENGTH = 64;

export async function setName(
  node: PeerNode,
  name: string,
): Promise<{ userId: string; name: string; seq: number }> {
  const trimmed = name.normalize('NFC').trim();
  if (trimmed === '' || trimmed.length > MAX_NAME_LENGTH || /\p{Cc}/u.test(trimmed))
    throw new KithError('INVALID_INPUT', `A name is 1 to ${MAX_NAME_LENGTH} characters of text on one line.`);
  if (node.locked) throw new KithError('NODE_LOCKED');
  const keys = node.options.device.keys;
  const state = appendEntry(
    node.ownLog,
    { kind: 'device', index: keys.index, seed: keys.signing.seed },
    { type: 'profile', name: trimmed },
    node.clock(),
  );
  await node.adoptOwnLog(state.entries);
  return { userId: node.userId, name: trimmed, seq: state.seq };
}
