/**
 * The addresses this node advertises in its address record (DESIGN §6): where its peer port
 * listens, plus the outside addresses peers report seeing it at (their heartbeats carry it).
 */
import { networkInterfaces } from 'node:os';

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function hostOf(address: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(address);
  if (m) return m[1]!;
  return address.slice(0, address.lastIndexOf(':'));
}

/** IPv4-mapped IPv6 ("::ffff:127.0.0.2") reads as plain IPv4. */
export function normaliseHost(host: string): string {
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

/**
 * A wildcard bind advertises every non-internal interface address (the LAN addresses); a
 * specific bind advertises just that address.
 */
export function listeningAddresses(bindHost: string, port: number): string[] {
  if (bindHost !== '0.0.0.0' && bindHost !== '::') return [formatAddress(bindHost, port)];
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv4' || (bindHost === '::' && !info.address.startsWith('fe80'))) {
        out.push(formatAddress(info.address, port));
      }
    }
  }
  return out.length ? out : [formatAddress('127.0.0.1', port)];
}
