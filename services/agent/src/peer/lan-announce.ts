/**
 * LAN discovery of open short codes (docs/PROTOCOL.md §9a) over multicast DNS (RFC 6762) with
 * DNS-SD names (RFC 6763). The inviter answers queries for `_kith-pair._tcp.local` with one
 * instance per open short code, named by `lanIdentifier(nameplate, window)`; the acceptor asks
 * until the instance for its number shows up. Nothing is announced unless a short code is open,
 * and the names carry no user, device or key (docs/SECURITY.md "Short codes").
 */
import { networkInterfaces } from 'node:os';
import makeMdns from 'multicast-dns';
import { KithError } from '@kith/core/errors';

export const SERVICE = '_kith-pair._tcp.local';
const TTL_S = 60;

export interface MdnsOptions {
  /** The IPv4 address of the interface to use; every interface when undefined. */
  iface?: string;
  /** UDP port (5353 unless a test says otherwise). */
  port?: number;
}

function open(options: MdnsOptions) {
  return makeMdns({
    bind: '0.0.0.0',
    reuseAddr: true,
    ...(options.iface ? { interface: options.iface } : {}),
    ...(options.port ? { port: options.port } : {}),
  });
}

/** The IPv4 address to bind the LAN side to, when the node's host names one interface. */
export function lanInterface(host: string): string | undefined {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) && host !== '0.0.0.0' ? host : undefined;
}

function ownIpv4(iface: string | undefined): string[] {
  if (iface) return [iface];
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

/** Answers queries for the instances `labels()` returns, each at TCP port `tcpPort()`. */
export class LanAnnouncer {
  private mdns: ReturnType<typeof makeMdns> | undefined;

  constructor(
    private readonly options: MdnsOptions & { labels: () => string[]; tcpPort: () => number },
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    if (this.mdns) return;
    const mdns = open(this.options);
    mdns.on('error', this.onError);
    mdns.on('warning', () => {});
    mdns.on('query', (query) => {
      const labels = this.options.labels();
      if (labels.length === 0) return;
      const asked = query.questions.some(
        (q) => q.name === SERVICE || labels.some((l) => q.name === `${l}.${SERVICE}`),
      );
      if (!asked) return;
      const port = this.options.tcpPort();
      const addresses = ownIpv4(this.options.iface);
      mdns.respond({
        answers: labels.map((l) => ({
          name: SERVICE,
          type: 'PTR' as const,
          ttl: TTL_S,
          data: `${l}.${SERVICE}`,
        })),
        additionals: labels.flatMap((l) => [
          {
            name: `${l}.${SERVICE}`,
            type: 'SRV' as const,
            ttl: TTL_S,
            data: { port, target: `${l}.local`, priority: 0, weight: 0 },
          },
          ...addresses.map((a) => ({ name: `${l}.local`, type: 'A' as const, ttl: TTL_S, data: a })),
        ]),
      });
    });
    this.mdns = mdns;
  }

  stop(): void {
    this.mdns?.destroy();
    this.mdns = undefined;
  }
}

/**
 * Asks the LAN for any of `labels` (the current and the previous window's name of one number)
 * until one answers or `timeoutMs` passes; resolves with where to connect.
 */
export function findOnLan(
  labels: string[],
  options: MdnsOptions & { timeoutMs: number },
): Promise<{ host: string; port: number }> {
  const mdns = open(options);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, found?: { host: string; port: number }) => {
      if (settled) return;
      settled = true;
      clearInterval(ask);
      clearTimeout(timer);
      mdns.destroy();
      if (found) resolve(found);
      else reject(err);
    };
    mdns.on('error', (err) => finish(err));
    mdns.on('warning', () => {});
    mdns.on('response', (response, rinfo) => {
      const records = [...response.answers, ...(response.additionals ?? [])];
      for (const label of labels) {
        const srv = records.find((r) => r.type === 'SRV' && r.name === `${label}.${SERVICE}`);
        if (!srv) continue;
        // The answer's source address is on the link we share; the A records may name others.
        const a = records.find((r) => r.type === 'A' && r.name === `${label}.local`) as
          | { data?: unknown }
          | undefined;
        const host = rinfo.address || (typeof a?.data === 'string' ? a.data : '');
        finish(undefined, { host, port: (srv as { data: { port: number } }).data.port });
        return;
      }
    });
    const query = () =>
      mdns.query({ questions: [{ name: SERVICE, type: 'PTR' }] }, (err: unknown) => {
        if (err) finish(err);
      });
    const ask = setInterval(query, 1000);
    const timer = setTimeout(() => finish(new KithError('INVITE_NOT_FOUND')), options.timeoutMs);
    mdns.on('ready', query);
  });
}
