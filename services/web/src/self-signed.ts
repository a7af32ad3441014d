/**
 * A minimal self-signed X.509 v3 certificate (ECDSA P-256, SHA-256) written in DER by hand:
 * node:crypto signs and parses certificates but cannot make one, and the packages that do pull
 * in dependency-injection frameworks. Only what a TLS server certificate needs is here:
 * subject = issuer = CN, validity, basicConstraints CA:false, extKeyUsage serverAuth, and the
 * subjectAltName entries (DNS names and IP addresses) the page is opened at.
 */
import { type KeyObject, sign } from 'node:crypto';
import { isIP } from 'node:net';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const bitString = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);
const explicit = (n: number, b: Buffer) => tlv(0xa0 + n, b);

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function integer(b: Buffer): Buffer {
  const body = b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b;
  return tlv(0x02, body);
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  // UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(groups.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

export interface CertificateRequest {
  commonName: string;
  serial: Buffer;
  notBefore: Date;
  notAfter: Date;
  dns: string[];
  ips: string[];
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/** The certificate as PEM. */
export function selfSignedCertificate(r: CertificateRequest): string {
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(r.commonName, 'utf8')))));
  const altNames = seq(
    ...r.dns.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...r.ips.filter((ip) => isIP(ip)).map((ip) => tlv(0x87, ipBytes(ip))),
  );
  const extensions = seq(
    seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), octets(seq())),
    seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.1')))),
    seq(oid('2.5.29.17'), octets(altNames)),
  );
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(r.serial),
    ECDSA_SHA256,
    name,
    seq(time(r.notBefore), time(r.notAfter)),
    name,
    r.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, { key: r.privateKey, dsaEncoding: 'der' });
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trim();
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
