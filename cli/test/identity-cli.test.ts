import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isValidMnemonic } from '@kith/core/identity/phrase';
import { runKith } from '../../test/helpers/kith-cli.ts';

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kith-cli-'));
});

async function listTree(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { recursive: true })).sort();
  } catch {
    return [];
  }
}

describe('kith init / identity / recover (real processes)', () => {
  it('init then identity show the same user; recover in another dir gives the same user and a new device', async () => {
    const a = join(dir, 'a');
    const phraseFile = join(dir, 'phrase.txt');
    const init = await runKith(['init', '--data', a, '--name', 'Ana', '--phrase-file', phraseFile, '--json']);
    expect(init.code, init.stderr).toBe(0);
    const created = init.json as Json;
    expect(created.userId).toMatch(/^[0-9a-z]{5}(-[0-9a-z]{5}){4}$/);
    expect((await stat(phraseFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(a, 'keys', 'device.key'))).mode & 0o777).toBe(0o600);
    // the phrase went to the file, not to the screen
    expect(init.stderr).not.toMatch(/seed phrase/i);

    const identity = await runKith(['identity', '--data', a, '--json']);
    expect(identity.code, identity.stderr).toBe(0);
    const me = identity.json as Json;
    expect(me.userId).toBe(created.userId);
    expect(me.deviceId).toBe(created.deviceId);
    expect(me.name).toBe('Ana');
    expect(me.devices).toEqual([
      expect.objectContaining({ deviceId: created.deviceId, status: 'active', current: true }),
    ]);

    const b = join(dir, 'b');
    const recovered = await runKith(['recover', '--data', b, '--phrase-file', phraseFile, '--json']);
    expect(recovered.code, recovered.stderr).toBe(0);
    const r = recovered.json as Json;
    expect(r.userId).toBe(created.userId);
    expect(r.deviceId).not.toBe(created.deviceId);
    const again = (await runKith(['identity', '--data', b, '--json'])).json as Json;
    expect(again.userId).toBe(created.userId);
    expect(again.deviceId).toBe(r.deviceId);
  }, 120_000);

  it('recover with the exported log takes the next index and revokes the lost device', async () => {
    const a = join(dir, 'c');
    const phraseFile = join(dir, 'phrase-c.txt');
    const logFile = join(dir, 'log-c.cbor');
    const created = (await runKith(['init', '--data', a, '--phrase-file', phraseFile, '--json']))
      .json as Json;
    expect((await runKith(['identity', '--data', a, '--export-log', logFile, '--json'])).code).toBe(0);
    const d = join(dir, 'd');
    const res = await runKith([
      'recover',
      '--data',
      d,
      '--phrase-file',
      phraseFile,
      '--log',
      logFile,
      '--revoke',
      String(created.deviceId),
      '--json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    const r = res.json as Json;
    expect(r.deviceIndex).toBe(1);
    expect(r.revoked).toEqual([created.deviceId]);
    const me = (await runKith(['identity', '--data', d, '--json'])).json as {
      devices: { deviceId: string; status: string }[];
    };
    expect(me.devices.map((x) => [x.deviceId, x.status])).toEqual([
      [created.deviceId, 'revoked'],
      [r.deviceId, 'active'],
    ]);
  }, 120_000);

  it('a garbled phrase exits 1 with a clear message and leaves the data dir untouched', async () => {
    const good = join(dir, 'phrase-g.txt');
    await runKith(['init', '--data', join(dir, 'g'), '--phrase-file', good]);
    const words = (await import('node:fs')).readFileSync(good, 'utf8').trim().split(' ');
    // Swap two neighbouring words; one swap in 256 keeps a valid checksum, so take the first
    // pair whose swap really breaks it (the words themselves stay valid: only the checksum fails).
    const garbled = [...Array(23).keys()]
      .map((i) => {
        const w = [...words];
        [w[i], w[i + 1]] = [w[i + 1]!, w[i]!];
        return w.join(' ');
      })
      .find((text) => text !== words.join(' ') && !isValidMnemonic(text));
    expect(garbled).toBeDefined();
    const bad = join(dir, 'phrase-bad.txt');
    await writeFile(bad, garbled!);
    const target = join(dir, 'untouched');
    const res = await runKith(['recover', '--data', target, '--phrase-file', bad, '--json']);
    expect(res.code).toBe(1);
    expect((res.json as Json).error?.code).toBe('PHRASE_INVALID');
    expect(res.stderr).toMatch(/PHRASE_INVALID: The seed phrase is not valid.*checksum/);
    // No run of the phrase leaks (single words may be ordinary English, like "wrong").
    for (let i = 0; i + 2 < words.length; i++)
      expect(res.stderr).not.toContain(words.slice(i, i + 3).join(' '));
    expect(await listTree(target)).toEqual([]);

    const short = join(dir, 'phrase-short.txt');
    await writeFile(short, words.slice(0, 12).join(' '));
    const res2 = await runKith(['recover', '--data', target, '--phrase-file', short]);
    expect(res2.code).toBe(1);
    expect(res2.stderr).toMatch(/12 words/);
    expect(await listTree(target)).toEqual([]);
  }, 120_000);

  it('refuses a second init in the same data dir and keeps the first identity', async () => {
    const a = join(dir, 'twice');
    const first = (await runKith(['init', '--data', a, '--phrase-file', join(dir, 'p-twice'), '--json']))
      .json as Json;
    const second = await runKith(['init', '--data', a, '--phrase-file', join(dir, 'p-twice2'), '--json']);
    expect(second.code).toBe(1);
    expect((second.json as Json).error?.code).toBe('KEYSTORE_EXISTS');
    expect(((await runKith(['identity', '--data', a, '--json'])).json as Json).userId).toBe(first.userId);
  }, 120_000);

  it('usage errors exit 2 and name the problem', async () => {
    const unknown = await runKith(['init', '--frobnicate', '--json']);
    expect(unknown.code).toBe(2);
    expect((unknown.json as Json).error?.code).toBe('USAGE');
    expect(unknown.stderr).toMatch(/--frobnicate/);
    expect((await runKith(['recover', '--data', join(dir, 'x')])).code).toBe(2);
    expect((await runKith(['nonsense'])).code).toBe(2);
    expect((await runKith(['identity', '--data', join(dir, 'nothing'), '--json'])).json).toEqual({
      error: { code: 'KEYSTORE_MISSING', message: expect.stringMatching(/kith init/) },
    });
  }, 120_000);

  it('keys under an unlock passphrase need it: locked, wrong, right', async () => {
    const a = join(dir, 'locked');
    const pass = join(dir, 'pass.txt');
    const wrong = join(dir, 'wrong.txt');
    await writeFile(pass, 'correct horse battery staple\n');
    await writeFile(wrong, 'incorrect horse');
    const init = await runKith([
      'init',
      '--data',
      a,
      '--passphrase-file',
      pass,
      '--phrase-file',
      join(dir, 'p-locked'),
      '--json',
    ]);
    expect(init.code, init.stderr).toBe(0);
    expect(((await runKith(['identity', '--data', a, '--json'])).json as Json).error?.code).toBe(
      'KEYSTORE_LOCKED',
    );
    expect(
      ((await runKith(['identity', '--data', a, '--passphrase-file', wrong, '--json'])).json as Json).error
        ?.code,
    ).toBe('KEYSTORE_BAD_PASSPHRASE');
    const ok = await runKith(['identity', '--data', a, '--json'], { env: { KITH_PASSPHRASE_FILE: pass } });
    expect((ok.json as Json).userId).toBe((init.json as Json).userId);
  }, 120_000);
});
