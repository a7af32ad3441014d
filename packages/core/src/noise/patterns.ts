/**
 * Handshake patterns (Noise spec rev 34, §7 and §9). Only the patterns Kith uses (IK, IKpsk2)
 * and the two it tests against public vectors for extra coverage (XX, XXpsk3).
 */
export type NoiseToken = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'psk';

export interface HandshakePattern {
  readonly name: string;
  /** Pre-message public keys: what the initiator and the responder know in advance. */
  readonly preInitiator: readonly ('e' | 's')[];
  readonly preResponder: readonly ('e' | 's')[];
  /** Message patterns in order; even indexes are sent by the initiator. */
  readonly messages: readonly (readonly NoiseToken[])[];
  /** True when a `psk` token appears (then `e` also calls MixKey, §9.2). */
  readonly usesPsk: boolean;
}

function pattern(
  name: string,
  preInitiator: ('e' | 's')[],
  preResponder: ('e' | 's')[],
  messages: NoiseToken[][],
): HandshakePattern {
  return {
    name,
    preInitiator,
    preResponder,
    messages,
    usesPsk: messages.some((m) => m.includes('psk')),
  };
}

export const HANDSHAKE_PATTERNS: Readonly<Record<string, HandshakePattern>> = {
  IK: pattern(
    'IK',
    [],
    ['s'],
    [
      ['e', 'es', 's', 'ss'],
      ['e', 'ee', 'se'],
    ],
  ),
  IKpsk2: pattern(
    'IKpsk2',
    [],
    ['s'],
    [
      ['e', 'es', 's', 'ss'],
      ['e', 'ee', 'se', 'psk'],
    ],
  ),
  XX: pattern('XX', [], [], [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']]),
  XXpsk3: pattern('XXpsk3', [], [], [['e'], ['e', 'ee', 's', 'es'], ['s', 'se', 'psk']]),
};

/** Number of `psk` tokens in a pattern: the handshake needs that many pre-shared keys. */
export function pskCount(p: HandshakePattern): number {
  return p.messages.reduce((n, m) => n + m.filter((t) => t === 'psk').length, 0);
}
