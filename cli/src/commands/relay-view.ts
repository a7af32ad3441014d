/** This node as its friends' relay (GET /api/relay/status), for `kith status` and `kith archive status`. */
import type { ResponseOf } from '@kith/api';
import type { ApiClient } from '@kith/api/client';

export type RelayStatusView = ResponseOf<'relayStatus'>;

export function relayStatus(agent: ApiClient): Promise<RelayStatusView> {
  return agent.relayStatus();
}

function who(f: { userId: string; name: string | null }): string {
  return f.name ? `${f.name} (${f.userId.slice(0, 11)})` : f.userId;
}

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** One line for `kith status`. */
export function relaySummary(r: RelayStatusView): string {
  if (!r.enabled) return 'Relay for friends: off (KITH_RELAY)';
  if (r.relayFor.length === 0) return 'Relay for friends: on, no friend lists this device yet';
  return `Relay for ${r.relayFor.length} friend${r.relayFor.length === 1 ? '' : 's'}: ${r.relayFor.map(who).join(', ')}`;
}

/** The per-friend lines for `kith archive status`: counts and bytes, never contents. */
export function describeHeldFor(r: RelayStatusView): string {
  const lines = [
    `${relaySummary(r)}`,
    `Quotas: ${size(r.quota.bytes)} in all, ${size(r.quota.userBytes)} and ${r.quota.userItems} items per friend`,
  ];
  for (const h of r.heldFor) {
    lines.push(
      `  ${who(h).padEnd(32)} archive ${h.archive.items} items, ${size(h.archive.bytes)}; ` +
        `waiting for their devices ${h.relayed.items} items, ${size(h.relayed.bytes)}`,
    );
  }
  return lines.join('\n');
}
