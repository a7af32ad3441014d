/**
 * The web part's certificate for LAN addresses (docs/SECURITY.md "Web UI"): self-signed, ECDSA
 * P-256, made at first start and kept in DATA/web-tls/ (key 0600). Its SHA-256 fingerprint is
 * what `kith web code` shows, so a person can compare it with what the browser reports.
 */
import { X509Certificate, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selfSignedCertificate } from './self-signed.ts';

export interface WebTls {
  cert: string;
  key: string;
  fingerprint: string;
}

export const TLS_DIR = 'web-tls';

/** SHA-256 of the certificate's DER as colon-separated hex pairs (what browsers show). */
export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

export async function loadOrCreateTls(
  dataDir: string,
  names: { ips: string[]; dns: string[] },
): Promise<WebTls> {
  const dir = join(dataDir, TLS_DIR);
  try {
    const cert = await readFile(join(dir, 'cert.pem'), 'utf8');
    const key = await readFile(join(dir, 'key.pem'), 'utf8');
    return { cert, key, fingerprint: fingerprintOf(cert) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const cert = selfSignedCertificate({
    commonName: 'Kith web UI',
    serial: randomBytes(16),
    notBefore: new Date(now - 24 * 3600_000),
    notAfter: new Date(now + 5 * 365 * 24 * 3600_000),
    dns: names.dns,
    ips: names.ips,
    publicKey,
    privateKey,
  });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'key.pem'), key, { mode: 0o600 });
  await writeFile(join(dir, 'cert.pem'), cert, { mode: 0o644 });
  return { cert, key, fingerprint: fingerprintOf(cert) };
}
