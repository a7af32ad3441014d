/**
 * Dialling an invite (docs/PROTOCOL.md §9): the IKpsk2 link to the inviter, from a running agent
 * or from a machine with no device keys yet, and reading the inviter's refusal.
 */
import { type AddressRecord, verifyAddressRecord } from '@kith/core/address-record';
import { defaultBackend } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { type decodeInvite, invitePsk } from '@kith/core/pairing/invite-code';
import { connectLink } from '../link/connect.ts';
import type { Link } from '../link/link.ts';
import { DEFAULT_LINK_LIMITS } from '../link/options.ts';

/**
 * How long an invite's handshake may take: the same as any link's. It was 5 s, and an inviter on
 * a busy machine (it looks the invite up in its database before message 2) answered later than
 * that, so pairing failed with "No answer" while the inviter was up (found by the chaos suite).
 */
export const INVITE_HANDSHAKE_TIMEOUT_MS = DEFAULT_LINK_LIMITS.handshakeTimeoutMs;

export function readRecord(bytes: Uint8Array): AddressRecord | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return verifyAddressRecord(bytes);
  } catch {
    return undefined;
  }
}

export function refusal(code: string): KithError {
  const known = [
    'INVITE_USED',
    'INVITE_EXPIRED',
    'INVITE_ROLE',
    'INVITE_INVALID',
    'INVITE_CANCELLED',
    'INVITE_ENDED',
    'RECOVERY_UNKNOWN_USER',
    'RECOVERY_INVALID',
    'LOG_INVALID',
    'LOG_FORK',
    'DEVICE_INDEX_USED',
  ] as const;
  const match = known.find((k) => k === code);
  return match
    ? new KithError(match)
    : new KithError('PAIRING_FAILED', `The inviter refused (${code.slice(0, 40)}).`);
}

/**
 * Dials an invite from a machine that has no device keys yet (an own-device enrolment, a
 * recovery): a throwaway static key, since the keys depend on what the inviter hands back.
 */
export function dialInviteWithThrowawayKey(
  invite: ReturnType<typeof decodeInvite>,
  env: { clock: () => number; random: (n: number) => Uint8Array },
): Promise<Link> {
  const temporary = env.random(32);
  return dialInvite(
    invite,
    { privateKey: temporary, publicKey: defaultBackend().x25519PublicKey(temporary) },
    env,
  );
}

/** Tries each address in the invite until one answers the IKpsk2 handshake. */
export async function dialInvite(
  invite: ReturnType<typeof decodeInvite>,
  staticKeyPair: { privateKey: Uint8Array; publicKey: Uint8Array },
  env: {
    clock: () => number;
    random: (n: number) => Uint8Array;
    sourceAddress?: () => { localAddress?: string };
  },
): Promise<Link> {
  const psk = invitePsk(invite.secret);
  let last: unknown;
  for (const address of invite.addrs) {
    try {
      return await connectLink({
        url: `ws://${address}`,
        staticKeyPair,
        remoteStaticKey: invite.key,
        invite: { id: invite.id, psk },
        clock: env.clock,
        random: env.random,
        limits: { handshakeTimeoutMs: INVITE_HANDSHAKE_TIMEOUT_MS },
        ...(env.sourceAddress?.() ?? {}),
      });
    } catch (err) {
      last = err;
    }
  }
  throw new KithError(
    'PAIRING_FAILED',
    `No answer at ${invite.addrs.join(', ')}: is the inviter's agent running, and the invite still open?`,
    { cause: last },
  );
}
