import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, sanitizeForLog } from '../../src/logger.ts';

/** A logger whose lines land in memory. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'trace', destination });
  return { logger, text: () => lines.join('\n'), lines };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

function secretBytes(seed: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (seed * 131 + i * 17 + 1) & 0xff);
}

describe('logger', () => {
  it('never writes key material: not as bytes, not as hex, not as base64', () => {
    const { logger, text } = capture();
    const seed = secretBytes(1);
    const privateKey = secretBytes(2);
    const psk = secretBytes(3);
    const token = secretBytes(4);
    const phrase = 'abandon ability able about above absent absorb abstract absurd abuse access accident';
    logger.info(
      {
        identity: { seed, privateKey: hex(privateKey) },
        invite: { psk: b64(psk), id: 'inv-1' },
        apiToken: b64url(token),
        phrase,
        passphrase: 'correct horse battery staple',
        publicKey: secretBytes(5),
      },
      'state',
    );
    logger.child({ session: { token: b64url(token) } }).warn('child bindings too');
    const out = text();
    for (const s of [seed, privateKey, psk, token]) {
      expect(out).not.toContain(hex(s));
      expect(out).not.toContain(b64(s));
      expect(out).not.toContain(b64url(s));
    }
    expect(out).not.toContain('abandon ability');
    expect(out).not.toContain('correct horse');
    // bytes never appear as content, even under a harmless key: `<n bytes>` instead
    expect(out).not.toContain(hex(secretBytes(5)));
    expect(out).toContain('"publicKey":"<32 bytes>"');
    expect(out).toContain(`"seed":"${REDACTED}"`);
    expect(out).toContain('"id":"inv-1"');
  });

  it('redacts secrets carried by an error (driver errors hold query parameters)', () => {
    const { logger, text } = capture();
    const key = secretBytes(9);
    const err = Object.assign(new Error('insert failed'), { parameters: [key], secret: hex(key) });
    logger.error({ err }, 'failed');
    logger.error(err);
    const out = text();
    expect(out).not.toContain(hex(key));
    expect(out).toContain('insert failed');
    // An error that keeps bound values is a driver's error: written as its QueryError, without them.
    expect(out).toContain('"type":"QueryError"');
    expect(out).not.toContain('"parameters"');
  });

  it('writes JSON lines with the level and message', () => {
    const { logger, lines } = capture();
    logger.info({ peers: 3 }, 'hello');
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, peers: 3, msg: 'hello' });
  });

  it('no secret under a sensitive key survives, at any depth (property)', () => {
    const sensitive = fc.constantFrom(
      'seed',
      'privateKey',
      'secret',
      'psk',
      'token',
      'phrase',
      'passphrase',
      'rootSeed',
      'inviteSecret',
      'apiToken',
    );
    const secretValue = fc.uint8Array({ minLength: 16, maxLength: 64 });
    fc.assert(
      fc.property(
        sensitive,
        secretValue,
        fc.array(fc.constantFrom('a', 'b', 'device', 'list'), { maxLength: 3 }),
        fc.constantFrom('bytes', 'hex', 'base64'),
        (key, secret, path, form) => {
          const value = form === 'bytes' ? secret : form === 'hex' ? hex(secret) : b64(secret);
          let obj: Record<string, unknown> = { [key]: value };
          for (const p of path.reverse()) obj = p === 'list' ? { items: [obj] } : { [p]: obj };
          const out = JSON.stringify(sanitizeForLog(obj));
          expect(out).not.toContain(hex(secret));
          expect(out).not.toContain(b64(secret));
          expect(out).toContain(REDACTED);
        },
      ),
    );
  });

  it('cuts what is nested too deep instead of writing it', () => {
    let obj: Record<string, unknown> = { value: 'deep-value' };
    for (let i = 0; i < 20; i++) obj = { next: obj };
    expect(JSON.stringify(sanitizeForLog(obj))).not.toContain('deep-value');
  });

  it('handles cycles and shared references', () => {
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = { a: shared, b: shared };
    cyclic.self = cyclic;
    expect(sanitizeForLog(cyclic)).toEqual({ a: { n: 1 }, b: { n: 1 }, self: '[circular]' });
  });
});
