/** Which address the web UI is reached at, and whether it is loopback (plain HTTP allowed). */
import { networkInterfaces } from 'node:os';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && a.family === 'IPv4')
    .map((a) => a!.address);
}

/** The host a person types: the bound address, or this machine's first LAN address for 0.0.0.0. */
export function publicHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return lanAddresses()[0] ?? '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Names the certificate covers: every address the page may be opened at. */
export function tlsNames(host: string): { ips: string[]; dns: string[] } {
  const ips = host === '0.0.0.0' || host === '::' ? [...lanAddresses(), '127.0.0.1'] : [host];
  return { ips, dns: ['localhost'] };
}
