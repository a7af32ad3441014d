/**
 * The addresses this node advertises in its address record (docs/DESIGN.md §6): where its peer port
 * listens, plus the outside addresses peers report seeing it at (their heartbeats carry it).
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Address } from '@kith/core/address-record';
import { Value } from '@sinclair/typebox/value';

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
 * The host a peer says it sees us at, if it may go into our record: an IP literal (a peer
 * saw a socket, never a name) that makes a valid address with our port; else undefined.
 */
export function observedHost(seenAddress: string, port: number): string | undefined {
  if (!seenAddress) return undefined;
  const host = normaliseHost(hostOf(seenAddress));
  if (isIP(host) === 0 || host === '0.0.0.0' || host === '::') return undefined;
  return Value.Check(Address, formatAddress(host, port)) ? host : undefined;
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
