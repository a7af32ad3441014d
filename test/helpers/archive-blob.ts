import { randomBytes } from 'node:crypto';
import { sealEnvelope } from '@kith/core/envelope';
import type { RunningNode } from '../../services/agent/src/node.ts';

/**
 * An archive blob for tests that do not read it back: `size` random bytes sealed by `node`'s
 * device to its own key. Holders keep only envelopes an active device of the owner sealed
 * (services/agent/src/archive/archive-sender.ts), so random bytes will not do.
 */
export function sealedTestBlob(node: RunningNode, size: number): Promise<Uint8Array> {
  return sealEnvelope({
    kind: 'test',
    plaintext: new Uint8Array(randomBytes(size)),
    recipients: [node.node.staticKeyPair.publicKey],
    threshold: 1,
    sender: node.node.options.device.keys.signing,
    createdAt: Date.now(),
    random: (n) => new Uint8Array(randomBytes(n)),
  });
}
