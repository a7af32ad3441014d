/**
 * Home-router port mapping (docs/PROTOCOL.md "Home routers"): asks the default gateway to
 * forward the peer port, by NAT-PMP first (one UDP exchange with the gateway) and UPnP IGD
 * second (SSDP discovery on the LAN, through @achingbrain/nat-port-mapper). The mapping is
 * renewed before it expires, removed at stop, and the external address it
 * gives goes into this node's signed address record beside the LAN ones. Off with
 * KITH_PORT_MAPPING=off; a failed attempt is tried again every `retryMs`.
 */
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { Gateway } from '@achingbrain/nat-port-mapper';
import type { Logger } from '../logger.ts';
import { NatPmpClient } from './nat-pmp.ts';
import { formatAddress } from './own-addresses.ts';

export type PortMappingState = 'off' | 'searching' | 'mapped' | 'unavailable';

export interface PortMappingStatus {
  enabled: boolean;
  state: PortMappingState;
  /** Where the router forwards the peer port from, as friends dial it (host:port). */
  external: string | null;
  via: 'nat-pmp' | 'upnp' | null;
  /** Why the last attempt found no mapping (no gateway, no answer, refused). */
  reason: string | null;
}

export interface PortMappingOptions {
  enabled: boolean;
  /** The peer port, known once the node listens. */
  port: () => number;
  /** The peer port's bind address (a wildcard maps the LAN address that faces the gateway). */
  host: string;
  /** Called when the external address appears, changes or goes: re-sign the address record. */
  onChange: () => void;
  logger: Logger;
  /** The IPv4 default gateway; read from /proc/net/route by default. */
  gateway?: () => Promise<string | undefined>;
  /** How long one protocol may take to answer. */
  answerTimeoutMs?: number;
  /** Wait after a failed attempt before the next. */
  retryMs?: number;
}

const DESCRIPTION = 'Kith peer port';
/** Asked of the router: two hours (RFC 6886's recommended lifetime), renewed well before. */
const LEASE_SECONDS = 7200;

/** A forwarding the router granted, until `remove()`. */
interface RouterLease {
  external: string;
  via: 'nat-pmp' | 'upnp';
  remove(): Promise<void>;
}

export class PortMapping {
  readonly name = 'port-mapping';
  private lease: RouterLease | undefined;
  private reason: string | null = null;
  private searching = false;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: PortMappingOptions) {}

  /** A loopback bind cannot be reached through any router: nothing to ask for. */
  private get applies(): boolean {
    return this.options.enabled && !isLoopback(this.options.host);
  }

  async start(): Promise<void> {
    if (!this.applies) return;
    this.stopped = false;
    // Not awaited: the node is ready without the router; the record is re-signed when it answers.
    void this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const lease = this.lease;
    this.lease = undefined;
    await lease
      ?.remove()
      .catch(() => this.options.logger.debug('port mapping: the router did not confirm the removal'));
  }

  /** The external address friends can dial, while a mapping holds. */
  externalAddresses(): string[] {
    return this.lease ? [this.lease.external] : [];
  }

  status(): PortMappingStatus {
    const state: PortMappingState = !this.applies
      ? 'off'
      : this.lease
        ? 'mapped'
        : this.searching || this.reason === null
          ? 'searching'
          : 'unavailable';
    return {
      enabled: this.options.enabled,
      state,
      external: this.lease?.external ?? null,
      via: this.lease?.via ?? null,
      reason: this.lease ? null : this.reason,
    };
  }

  private get timeoutMs(): number {
    return this.options.answerTimeoutMs ?? 5000;
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.searching) return;
    this.searching = true;
    try {
      const gatewayIp = await (this.options.gateway ?? defaultGateway)();
      if (!gatewayIp) {
        this.reason = 'no IPv4 default gateway';
        return;
      }
      const internalHost = await this.internalHost(gatewayIp);
      const port = this.options.port();
      const reasons: string[] = [];
      for (const [via, open] of [
        ['nat-pmp', () => this.leasePmp(gatewayIp, port)],
        ['upnp', () => this.leaseUpnp(internalHost, port)],
      ] as const) {
        if (this.stopped) return;
        try {
          const lease = await open();
          if (this.stopped) {
            await lease.remove().catch(() => undefined);
            return;
          }
          this.lease = lease;
          this.reason = null;
          this.options.logger.info(
            { external: lease.external, via },
            'port mapping: the router forwards the peer port',
          );
          this.options.onChange();
          return;
        } catch (err) {
          reasons.push(`${via}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 120));
        }
      }
      this.reason = reasons.join('; ');
    } catch (err) {
      this.reason = err instanceof Error ? err.message.slice(0, 200) : 'failed';
    } finally {
      this.searching = false;
      if (!this.lease && !this.stopped) {
        this.options.logger.debug({ reason: this.reason }, 'port mapping: no router mapping');
        this.retryTimer = setTimeout(() => void this.attempt(), this.options.retryMs ?? 300_000);
        this.retryTimer.unref?.();
      }
    }
  }

  /** NAT-PMP: a lease of LEASE_SECONDS, asked again at half its life; lost, the search restarts. */
  private async leasePmp(gatewayIp: string, port: number): Promise<RouterLease> {
    const client = new NatPmpClient(gatewayIp, this.timeoutMs);
    const first = await client.map(port, LEASE_SECONDS);
    const external = formatAddress(await client.externalAddress(), first.externalPort);
    let renewal: ReturnType<typeof setTimeout> | undefined;
    const renew = (lifetime: number) => {
      renewal = setTimeout(
        () => {
          client.map(port, LEASE_SECONDS, first.externalPort).then(
            (m) => renew(m.lifetimeSeconds),
            () => this.lost('nat-pmp: the router stopped renewing the mapping'),
          );
        },
        Math.max(1, lifetime / 2) * 1000,
      );
      renewal.unref?.();
    };
    renew(first.lifetimeSeconds);
    return {
      external,
      via: 'nat-pmp',
      remove: async () => {
        clearTimeout(renewal);
        await client.map(port, 0);
      },
    };
  }

  /** UPnP IGD through the npm mapper: it renews before expiry and removes its mappings at stop. */
  private async leaseUpnp(internalHost: string, port: number): Promise<RouterLease> {
    // Loaded only here: the UPnP client (and the XML parser under it) costs every start
    // otherwise, and most nodes never get this far (mapping off, a loopback bind, NAT-PMP).
    const { upnpNat } = await import('@achingbrain/nat-port-mapper');
    const client = upnpNat({ description: DESCRIPTION, autoRefresh: true });
    let gateway: Gateway | undefined;
    for await (const g of client.findGateways({ signal: AbortSignal.timeout(this.timeoutMs) })) {
      if (g.family === 'IPv4') {
        gateway = g;
        break;
      }
    }
    if (!gateway) throw new Error('no UPnP gateway answered');
    const found = gateway;
    try {
      const mapping = await found.map(port, internalHost, {
        protocol: 'TCP',
        externalPort: port,
        ttl: LEASE_SECONDS * 1000,
        autoRefresh: true,
        description: DESCRIPTION,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return {
        external: formatAddress(mapping.externalHost, mapping.externalPort),
        via: 'upnp',
        remove: () => found.stop({ signal: AbortSignal.timeout(this.timeoutMs) }),
      };
    } catch (err) {
      await found.stop().catch(() => undefined);
      throw err;
    }
  }

  private lost(reason: string): void {
    if (this.stopped || !this.lease) return;
    this.lease = undefined;
    this.reason = reason;
    this.options.logger.warn({ reason }, 'port mapping: lost');
    this.options.onChange();
    void this.attempt();
  }

  /** The bind address, or for a wildcard bind the local address the gateway is reached from. */
  private async internalHost(gatewayIp: string): Promise<string> {
    const h = this.options.host;
    if (h !== '0.0.0.0' && h !== '::' && h !== '') return h;
    const socket = createSocket('udp4');
    try {
      // connect() on UDP sends nothing: it only picks the route and the source address.
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(5351, gatewayIp, () => resolve());
      });
      return socket.address().address;
    } finally {
      socket.close();
    }
  }
}

function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1' || host === 'localhost';
}

/** The IPv4 default route's gateway from /proc/net/route (Linux), or undefined. */
export async function defaultGateway(): Promise<string | undefined> {
  let table: string;
  try {
    table = await readFile('/proc/net/route', 'utf8');
  } catch {
    return undefined;
  }
  return parseDefaultGateway(table);
}

/** Parses /proc/net/route: the first line with destination 0 and the gateway flag (0x2). */
export function parseDefaultGateway(table: string): string | undefined {
  for (const line of table.split('\n').slice(1)) {
    const [, destination, gateway, flags] = line.trim().split(/\s+/);
    if (destination !== '00000000' || !gateway || !flags) continue;
    if ((Number.parseInt(flags, 16) & 0x2) === 0) continue;
    const n = Number.parseInt(gateway, 16);
    // The kernel prints the address's network-order bytes read as a host-order number.
    const bytes = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
    return (endianness() === 'LE' ? bytes : bytes.reverse()).join('.');
  }
  return undefined;
}
