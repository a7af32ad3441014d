import { EventEmitter } from 'node:events';
import { toHex } from '@kith/core/crypto/index';
import type { Link } from './link.ts';

export interface LinkRegistryEvents {
  /** A link was kept (it is now the one link to its peer). */
  link: [link: Link];
}

/** Lexicographic byte order; public keys are equal length. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/**
 * One link per device pair (docs/PROTOCOL.md "One link per pair"). When a second link to the
 * same peer is established, both ends keep the same one without talking about it:
 * - links started by different devices: the one started by the device with the lower static
 *   public key (byte order) wins;
 * - links started by the same device: the newer wins (the older is presumably dead).
 * The loser is closed with reason 'superseded' (WebSocket code 4000).
 */
export class LinkRegistry extends EventEmitter<LinkRegistryEvents> {
  private readonly links = new Map<string, Link>();

  /** Registers an established link; returns the link that is kept for that peer. */
  add(link: Link): Link {
    const key = toHex(link.remoteStaticKey);
    const existing = this.links.get(key);
    if (existing?.isOpen && existing !== link) {
      if (!newcomerWins(existing, link)) {
        link.close('superseded');
        return existing;
      }
      existing.close('superseded');
    }
    this.links.set(key, link);
    void link.closed.then(() => {
      if (this.links.get(key) === link) this.links.delete(key);
    });
    this.emit('link', link);
    return link;
  }

  get(remoteStaticKey: Uint8Array): Link | undefined {
    const link = this.links.get(toHex(remoteStaticKey));
    return link?.isOpen ? link : undefined;
  }

  all(): Link[] {
    return [...this.links.values()].filter((l) => l.isOpen);
  }

  /** Closes every link and waits until each has closed. */
  async closeAll(): Promise<void> {
    const links = [...this.links.values()];
    for (const link of links) link.close();
    await Promise.all(links.map((l) => l.closed));
  }
}

function newcomerWins(existing: Link, newcomer: Link): boolean {
  const order = compareBytes(newcomer.initiatorStaticKey, existing.initiatorStaticKey);
  if (order === 0) return true;
  return order < 0;
}
