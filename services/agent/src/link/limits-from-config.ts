import type { AgentConfig } from '../config.ts';
import type { LinkLimits } from './options.ts';

/** The link limits a person may set (KITH_PEER_MAX_UNCONFIRMED…); the rest keep their defaults. */
export function linkLimitsFromConfig(
  config: Pick<AgentConfig, 'peerMaxUnconfirmed' | 'peerMaxUnconfirmedPerSource'>,
): Partial<LinkLimits> {
  return {
    maxUnconfirmed: config.peerMaxUnconfirmed,
    maxUnconfirmedPerSource: config.peerMaxUnconfirmedPerSource,
  };
}
