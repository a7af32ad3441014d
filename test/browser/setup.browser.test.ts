/**
 * Setup mode through the web UI (docs/DESIGN.md "Setup mode"): `kith up --setup web` on an empty
 * data dir starts without an identity and waits; its web page, signed in with a code, enrols it
 * as one of node A's devices with a device invite from A (or recovers A's identity with the phrase
 * and a friend's invite, or restores a backup file), and the same process goes on as the full
 * node, linked to the others.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterDatabases, clusterDatabaseKind, type KithNode, pairAndConfirm } from '../helpers/cluster.ts';
import { makeTempDir } from '../helpers/database.ts';
import { runKith } from '../helpers/kith-cli.ts';
import { readHeader } from '../../services/agent/src/keystore/index.ts';
import { DESKTOP, PHONE, Shots, axeViolations, launchChromium, newContext } from './browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAILURES = join(ROOT, 'test/browser/failures');
const WAIT = { timeout: 120_000 };
const WAITING_LINE = 'waiting for you in the web UI';
const kind = clusterDatabaseKind()[0]!;

interface Identity {
  userId: string;
  deviceId: string;
  devices: { deviceId: string; name?: string; status: string; online: boolean; current: boolean }[];
}

describe(`setup mode in Chromium (${kind})`, () => {
  let dbs: ClusterDatabases;
  let dir: string;
  let a: KithNode;
  let fresh: KithNode;
  let browser: Browser;
  let page: Page;
  /** The recover step's phone page, kept for the failure screenshot. */
  let phone: Page | undefined;
  let phraseFile: string;
  let failed = false;
  const nodes: KithNode[] = [];
  const shots = new Shots(
    process.env.KITH_SCREENSHOTS ? join(ROOT, process.env.KITH_SCREENSHOTS) : undefined,
  );

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'services/web/dist/index.html')))
      execFileSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
    dbs = new ClusterDatabases(kind);
    dir = await makeTempDir('kith-setup-');
    a = await dbs.node(join(dir, 'a'), '127.0.0.71', 1000);
    fresh = await dbs.node(join(dir, 'fresh'), '127.0.0.72', 1000);
    nodes.push(a, fresh);
    await Promise.all([
      a.start({ startTimeoutMs: 540_000 }),
      fresh.start({ startTimeoutMs: 540_000, args: ['--setup', 'web'], readyLine: WAITING_LINE }),
    ]);
    // A first start without a terminal keeps the phrase sealed until shown once: take it.
    const { phrase } = await a.cli<{ phrase: string }>('phrase', '--reveal');
    phraseFile = join(dir, 'a-phrase.txt');
    await writeFile(phraseFile, `${phrase}\n`, { mode: 0o600 });
    browser = await launchChromium();
    page = await (await newContext(browser, DESKTOP)).newPage();
  }, 900_000);

  afterAll(async () => {
    if (failed && page) {
      mkdirSync(FAILURES, { recursive: true });
      await page.screenshot({ path: join(FAILURES, 'setup.png'), timeout: 10_000 }).catch(() => {});
      await phone
        ?.screenshot({ path: join(FAILURES, 'setup-recover-phone.png'), fullPage: true, timeout: 10_000 })
        .catch(() => {});
      for (const n of nodes)
        console.error(`--- ${n.dataDir} node.log (tail)\n${(await n.log())?.slice(-4000)}`);
    }
    await browser?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await dbs?.dispose();
  }, 120_000);

  async function step(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  }

  it(
    'waits without an identity: only the setup routes answer, and nothing without a sign-in code',
    () =>
      step(async () => {
        expect(await fresh.api<{ state: string }>('/setup')).toEqual({ state: 'waiting' });
        const identity = await fresh.api<{ error: { code: string } }>('/identity');
        expect(identity.error.code).toBe('SETUP_WAITING');
        // The web part refuses a browser that has not signed in with the code.
        const { url } = await webCode(fresh);
        const origin = new URL(url).origin;
        const anon = await fetch(`${origin}/api/setup/create`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin },
          body: '{}',
        });
        expect(anon.status).toBe(401);
        expect(await fresh.api<{ state: string }>('/setup')).toEqual({ state: 'waiting' });
      }),
    300_000,
  );

  it(
    'enrols the waiting node as one of A’s devices from its web page; both are A’s devices, linked',
    () =>
      step(async () => {
        const invite = await a.cli<{ code: string }>('invite', '--device', '--phrase-file', phraseFile);
        const { url } = await webCode(fresh);
        await page.goto(url);
        await page.getByRole('heading', { name: 'Set up this node', level: 1 }).waitFor(WAIT);
        await shots.take(page, 'setup');
        const found = (await axeViolations(page)).map((v) => `${v.id} (${v.impact})`);
        expect(found).toEqual([]);
        await page.getByRole('radio', { name: 'Enrol as one of my devices' }).check();
        await page.getByLabel('Device invite', { exact: true }).fill(invite.code);
        // Locked relay mode chosen in the page: the new keys are sealed under this passphrase.
        await page
          .getByLabel('Unlock passphrase (optional, at least 8 characters)')
          .fill('a NAS in the cupboard');
        await page.getByRole('button', { name: 'Enrol this node' }).click();
        await page.getByText('This node is now device').waitFor(WAIT);
        // The same process goes on as the full node (no restart): the page says when it is there.
        await page.getByRole('button', { name: 'Continue' }).click(WAIT);
        await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor(WAIT);

        const aId = await a.cli<Identity>('identity');
        // From the running node: `kith identity` reads the log on disk, which is now sealed under
        // the unlock passphrase (it would need --passphrase-file).
        const fId = await fresh.api<Identity>('/identity');
        expect(fId.userId).toBe(aId.userId);
        expect(fId.deviceId).not.toBe(aId.deviceId);
        // Sealed under the typed passphrase, and running unlocked until its next start.
        expect((await readHeader(fresh.dataDir)).protection).toBe('passphrase');
        expect(await fresh.api<{ locked: boolean }>('/lock')).toMatchObject({ locked: false });
        // Linked: each sees the other online, in the API and on the page.
        // (`kith identity` reads the log on disk; the API's /identity says who is online.)
        await until(async () => {
          const seen = await a.api<Identity>('/identity');
          return seen.devices.some((d) => d.deviceId === fId.deviceId && d.status === 'active' && d.online);
        });
        await until(async () => {
          const seen = await fresh.api<Identity>('/identity');
          return seen.devices.some((d) => d.deviceId === aId.deviceId && d.online);
        });
        await page
          .locator('li.card', { hasText: aId.deviceId })
          .filter({ hasText: 'active · online' })
          .waitFor(WAIT);
        await page
          .locator('li.card', { hasText: fId.deviceId })
          .filter({ hasText: '(this one)' })
          .waitFor(WAIT);
        expect(await fresh.api<{ state: string; userId: string }>('/setup')).toMatchObject({
          state: 'ready',
          userId: aId.userId,
        });
        // A step after setup is refused.
        await expect(fresh.apiPost('/setup/create', {})).rejects.toThrow(/409 .*SETUP_DONE/);
      }),
    600_000,
  );

  it(
    'recovers A’s identity on another waiting node with the phrase and a friend’s invite, typed into the page',
    () =>
      step(async () => {
        const b = await dbs.node(join(dir, 'b'), '127.0.0.73', 1000);
        const r = await dbs.node(join(dir, 'r'), '127.0.0.74', 1000);
        nodes.push(b, r);
        await Promise.all([
          b.start({ startTimeoutMs: 540_000 }),
          r.start({ startTimeoutMs: 540_000, args: ['--setup', 'web'], readyLine: WAITING_LINE }),
        ]);
        // B becomes A's friend (CLI, both confirm the digits), then makes the invite that R uses to recover A.
        await pairAndConfirm(b, a);
        const bId = await b.cli<Identity>('identity');
        const forR = await b.cli<{ code: string }>('invite');

        phone = await (await newContext(browser, PHONE)).newPage();
        const { url } = await webCode(r);
        await phone.goto(url);
        await phone.getByRole('heading', { name: 'Set up this node', level: 1 }).waitFor(WAIT);
        await phone.getByRole('radio', { name: 'Recover with my phrase' }).check();
        await shots.take(phone, 'setup-recover-phone');
        const { readFile } = await import('node:fs/promises');
        await phone.getByLabel('Seed phrase').fill((await readFile(phraseFile, 'utf8')).trim());
        await phone.getByLabel('This device’s name (optional)').fill('phone in a drawer');
        await phone.getByLabel('Friend’s invite').fill(forR.code);
        await phone.getByRole('button', { name: 'Recover' }).click();
        await phone.getByText('Recovered').waitFor(WAIT);
        // The phrase is gone from the page once used.
        expect(await phone.content()).not.toContain((await readFile(phraseFile, 'utf8')).trim());
        await phone.getByRole('button', { name: 'Continue' }).click(WAIT);
        await phone.getByRole('heading', { name: 'Devices', level: 1 }).waitFor(WAIT);

        const aId = await a.cli<Identity>('identity');
        const rId = await r.cli<Identity>('identity');
        expect(rId.userId).toBe(aId.userId);
        // `kith recover --device-name`: the name typed on the page is in the log.
        expect(rId.devices.find((d) => d.deviceId === rId.deviceId)?.name).toBe('phone in a drawer');
        // The friend knows the recovered device at once and links to it.
        await until(async () => {
          const friends =
            await b.cli<
              { userId: string; devices: { deviceId: string; status: string }[]; online: boolean }[]
            >('friends');
          const f = friends.find((x) => x.userId === aId.userId);
          return f?.devices.some((d) => d.deviceId === rId.deviceId && d.status === 'active') === true;
        });
        await until(async () => {
          const peers = await r.api<{ deviceId: string; online: boolean }[]>('/peers');
          return peers.some((p) => p.deviceId === bId.deviceId && p.online);
        });
        await phone.close();
      }),
    900_000,
  );

  it(
    'restores a backup on a waiting node from its web page: the same device again, with its friend',
    () =>
      step(async () => {
        // A backup of A's first device (`kith backup`), restored on a new waiting node once A stops.
        const pass = join(dir, 'backup-pass.txt');
        await writeFile(pass, 'ein langes Passwort für das Backup ✓');
        const file = join(dir, 'a.kith-backup');
        const made = await runKith(
          ['backup', '--data', a.dataDir, '--out', file, '--passphrase-file', pass, '--json'],
          { timeoutMs: 300_000 },
        );
        expect(made.code, made.stderr).toBe(0);
        const aId = await a.cli<Identity>('identity');
        const w = await dbs.node(join(dir, 'w'), '127.0.0.75', 1000);
        nodes.push(w);
        await w.start({ startTimeoutMs: 540_000, args: ['--setup', 'web'], readyLine: WAITING_LINE });
        await a.stop();

        const restoring = await (await newContext(browser, PHONE)).newPage();
        phone = restoring;
        const { url } = await webCode(w);
        await restoring.goto(url);
        await restoring.getByRole('heading', { name: 'Set up this node', level: 1 }).waitFor(WAIT);
        await restoring.getByRole('radio', { name: 'Restore a backup' }).check();
        await restoring.getByLabel('Backup file').setInputFiles(file);
        // A wrong passphrase restores nothing and says so; the node still waits.
        await restoring.getByLabel('Backup passphrase').fill('not the passphrase');
        await restoring.getByRole('button', { name: 'Restore this backup' }).click();
        await restoring.getByRole('alert').waitFor(WAIT);
        expect(await w.api<{ state: string }>('/setup')).toEqual({ state: 'waiting' });
        await restoring.getByLabel('Backup passphrase').fill('ein langes Passwort für das Backup ✓');
        await restoring.getByRole('button', { name: 'Restore this backup' }).click();
        await restoring.getByText('Restored').waitFor(WAIT);
        await shots.take(restoring, 'setup-restored-phone');
        await restoring.getByRole('button', { name: 'Continue' }).click(WAIT);
        await restoring.getByRole('heading', { name: 'Devices', level: 1 }).waitFor(WAIT);
        const wId = await w.cli<Identity>('identity');
        expect(wId.userId).toBe(aId.userId);
        expect(wId.deviceId).toBe(aId.deviceId);
        // B befriended A before the backup: the restored node knows B as a friend.
        const bUser = (await nodes[2]!.cli<Identity>('identity')).userId;
        expect((await w.cli<{ userId: string }[]>('friends')).map((f) => f.userId)).toContain(bUser);
        expect(
          (await restoring.evaluate('document.documentElement.scrollWidth')) as number,
        ).toBeLessThanOrEqual(360);
        await restoring.close();
      }),
    900_000,
  );
});

async function webCode(node: KithNode): Promise<{ code: string; url: string }> {
  const r = await runKith(['web', 'code', '--data', node.dataDir, '--json'], { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`kith web code failed (${r.code}): ${r.stdout} ${r.stderr}`);
  return r.json as { code: string; url: string };
}

/** Waits for a condition that the network makes true eventually (the test's own timeout bounds it). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}
