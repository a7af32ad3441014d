/**
 * What the messaging parts (receipts, epochs, inbox, relay forwarding) read of this device,
 * built once by the messenger instead of each part reaching into the peer node.
 */
import type { CryptoBackend } from '@kith/core/crypto/backend';
import type { PeerNodeOptions } from '../peer/peer-node-options.ts';

export interface OwnDevice {
  readonly clock: () => number;
  readonly deviceId: string;
  /** This device's signing key pair, read when used (a locked keyring opens later). */
  readonly signing: PeerNodeOptions['device']['keys']['signing'];
  /** The backend that signs as this device (own-signer.ts); locked, it only verifies. */
  readonly backend: CryptoBackend;
}
