/**
 * A direct conversation between two users (issue "Network agent II"): its id is a hash of the
 * two user ids in sorted order, so both sides, and all their devices, name it the same.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend, toHex, utf8 } from '../crypto/index.ts';
import { HASH, frameWithLabel } from '../labels.ts';

export function directConversationId(
  a: string,
  b: string,
  backend: CryptoBackend = defaultBackend(),
): string {
  const [x, y] = [a, b].sort();
  const digest = backend.sha256(frameWithLabel(HASH.DIRECT_CONVERSATION, utf8.encode(`${x}\n${y}`)));
  return `d-${toHex(digest).slice(0, 32)}`;
}

/** Whether an id names a direct conversation (as made above), not a conversation's genesis hash. */
export function isDirectConversationId(id: string): boolean {
  return /^d-[0-9a-f]{32}$/.test(id);
}
