import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CODE_TTL_MS,
  MAX_FAILED_REDEEMS,
  REDEEM_WINDOW_MS,
  WEB_SESSIONS_FILE,
  WebSessions,
} from '../../src/web/web-sessions.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

async function store(now: { t: number }) {
  const dir = await mkdtemp(join(tmpdir(), 'kith-web-sessions-'));
  const s = new WebSessions(dir, () => now.t, random);
  await s.load();
  return { dir, s };
}

describe('web sessions', () => {
  it('a code signs in once, case and dashes aside; the file keeps hashes only (0600)', async () => {
    const now = { t: 1_700_000_000_000 };
    const { dir, s } = await store(now);
    const { code } = await s.createCode();
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}$/);
    const typed = `${code.slice(0, 5).toLowerCase()}-${code.slice(5)}`;
    const { session, secret } = await s.redeem(typed, 'test browser');
    await expect(s.redeem(code, '')).rejects.toMatchObject({ code: 'WEB_CODE_INVALID' });
    expect((await s.check(secret)).id).toBe(session.id);
    const file = await readFile(join(dir, WEB_SESSIONS_FILE), 'utf8');
    expect(file).not.toContain(secret);
    expect(file).not.toContain(code);
    expect((await stat(join(dir, WEB_SESSIONS_FILE))).mode & 0o777).toBe(0o600);
  });

  it('sessions survive a restart and stop working when revoked', async () => {
    const now = { t: 1_700_000_000_000 };
    const { dir, s } = await store(now);
    const { secret, session } = await s.redeem((await s.createCode()).code, 'a');
    const again = new WebSessions(dir, () => now.t, random);
    await again.load();
    expect(again.list().map((x) => x.id)).toEqual([session.id]);
    await again.revoke(session.id);
    await expect(again.check(secret)).rejects.toMatchObject({ code: 'WEB_SESSION_INVALID' });
    await expect(again.revoke(session.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('an expired code is refused', async () => {
    const now = { t: 1_700_000_000_000 };
    const { s } = await store(now);
    const { code } = await s.createCode();
    now.t += CODE_TTL_MS + 1;
    await expect(s.redeem(code, '')).rejects.toMatchObject({ code: 'WEB_CODE_INVALID' });
  });

  it('wrong codes are rate-limited, even the right one then waits for the window', async () => {
    const now = { t: 1_700_000_000_000 };
    const { s } = await store(now);
    const { code } = await s.createCode();
    for (let i = 0; i < MAX_FAILED_REDEEMS; i++)
      await expect(s.redeem('WRONGCODE1', '')).rejects.toMatchObject({ code: 'WEB_CODE_INVALID' });
    await expect(s.redeem(code, '')).rejects.toMatchObject({ code: 'WEB_RATE_LIMITED' });
    now.t += REDEEM_WINDOW_MS + 1;
    await expect(s.redeem(code, '')).resolves.toHaveProperty('secret');
  });
});
