import { KithError } from '../errors.ts';
import { HANDSHAKE_PATTERNS, type HandshakePattern } from './patterns.ts';

/** A parsed `Noise_<pattern>_25519_ChaChaPoly_<hash>` name (§8); only these choices exist here. */
export interface NoiseProtocol {
  readonly name: string;
  readonly pattern: HandshakePattern;
  readonly hash: 'BLAKE2b' | 'SHA256';
}

export function parseProtocolName(name: string): NoiseProtocol {
  const parts = name.split('_');
  const [prefix, patternName, dh, cipher, hash] = parts;
  const pattern = patternName === undefined ? undefined : HANDSHAKE_PATTERNS[patternName];
  if (
    parts.length !== 5 ||
    prefix !== 'Noise' ||
    pattern === undefined ||
    dh !== '25519' ||
    cipher !== 'ChaChaPoly' ||
    (hash !== 'BLAKE2b' && hash !== 'SHA256')
  ) {
    throw new KithError('NOISE_UNSUPPORTED_PROTOCOL', `Got "${name}".`);
  }
  return { name, pattern, hash };
}
