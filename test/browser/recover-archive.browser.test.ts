/**
 * After losing every device, the web UI brings the earlier conversations back (docs/ARCHITECTURE.md
 * "Restoring the archive"; the web counterpart of `kith archive restore --phrase-file`). Ana's
 * identity has a BIP39 passphrase; she and Bo are friends with a conversation, archived (Bo's
 * device holds it). Her only device is lost (process killed, data dir deleted). A node in setup
 * mode recovers her identity from its web page on a 360 px phone — phrase, BIP39 passphrase,
 * this device's name and Bo's invite typed in — revokes the lost laptop from the same page (Bo
 * learns it), then restores the archive with progress and a report: the conversation is among
 * her conversations again and opens.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterDatabases, clusterDatabaseKind, type KithNode, pairAndConfirm } from '../helpers/cluster.ts';
import { makeTempDir } from '../helpers/database.ts';
import { runKith } from '../helpers/kith-cli.ts';
import { axeViolations, launchChromium, newContext, PHONE, Shots } from './browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAILURES = join(ROOT, 'test/browser/failures');
const WAIT = { timeout: 180_000 };
const WAITING_LINE = 'waiting for you in the web UI';
/** Several processes on a loaded machine: 1 s heartbeats (never below, docs/BRIEF). */
const HEARTBEAT_MS = 1000;
const kind = clusterDatabaseKind()[0]!;

interface Ids {
  userId: string;
  deviceId: string;
}
interface MessageJson {
  text: string;
  from: string;
  conversation: string;
}

describe(`recovery and archive restore in Chromium (${kind})`, () => {
  let dbs: ClusterDatabases;
  let dir: string;
  let ana: KithNode;
  let bo: KithNode;
  let browser: Browser;
  let phone: Page | undefined;
  let phrase: string;
  let idsA: Ids;
  let idsB: Ids;
  let failed = false;
  const nodes: KithNode[] = [];
  const bip39 = 'a passphrase beside the words';
  const shots = new Shots(
    process.env.KITH_SCREENSHOTS ? join(ROOT, process.env.KITH_SCREENSHOTS) : undefined,
  );

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'services/web/dist/index.html')))
      execFileSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
    dbs = new ClusterDatabases(kind);
    dir = await makeTempDir('kith-recover-archive-');
    ana = await dbs.node(join(dir, 'a'), '127.0.0.76', HEARTBEAT_MS);
    bo = await dbs.node(join(dir, 'b'), '127.0.0.77', HEARTBEAT_MS);
    nodes.push(ana, bo);
    const phraseFile = join(dir, 'phrase-a');
    const bip39File = join(dir, 'bip39-a');
    await writeFile(bip39File, bip39, { mode: 0o600 });
    const ia = await runKith([
      'init',
      '--data',
      ana.dataDir,
      '--name',
      'Ana',
      '--phrase-file',
      phraseFile,
      '--bip39-passphrase-file',
      bip39File,
      '--json',
    ]);
    const ib = await runKith(['init', '--data', bo.dataDir, '--name', 'Bo', '--json']);
    expect(ia.code, ia.stderr).toBe(0);
    expect(ib.code, ib.stderr).toBe(0);
    idsA = ia.json as Ids;
    idsB = ib.json as Ids;
    phrase = (await readFile(phraseFile, 'utf8')).trim();
    await Promise.all([ana.start({ startTimeoutMs: 540_000 }), bo.start({ startTimeoutMs: 540_000 })]);
    await pairAndConfirm(bo, ana);
    await until(async () =>
      (await bo.api<{ userId: string; online: boolean }[]>('/friends')).some(
        (f) => f.userId === idsA.userId && f.online,
      ),
    );
    await ana.cli('send', '--to', idsB.userId, 'before I lost my laptop');
    await until(async () =>
      (await bo.api<MessageJson[]>('/messages')).some((m) => m.text === 'before I lost my laptop'),
    );
    await bo.cli('send', '--to', idsA.userId, 'noted, Ana');
    await until(async () => (await ana.api<MessageJson[]>('/messages')).some((m) => m.text === 'noted, Ana'));
    // Archived as current, on Bo's device; `--wait` returns once every item and list is there.
    expect(await ana.cli('archive', 'sync')).toMatchObject({ failed: [] });
    const status = await runKith(
      ['archive', 'status', '--wait', '--timeout', '240', '--data', ana.dataDir, '--json'],
      { timeoutMs: 300_000 },
    );
    expect(status.code, status.stderr).toBe(0);
    browser = await launchChromium();
  }, 900_000);

  afterAll(async () => {
    if (failed) {
      mkdirSync(FAILURES, { recursive: true });
      await phone
        ?.screenshot({ path: join(FAILURES, 'recover-archive-phone.png'), fullPage: true, timeout: 10_000 })
        .catch(() => {});
      for (const n of nodes)
        console.error(`--- ${n.dataDir} node.log (tail)\n${(await n.log())?.slice(-4000)}`);
    }
    await browser?.close();
    await Promise.all(nodes.map((n) => n.kill()));
    await dbs?.dispose();
  }, 120_000);

  it('recovers Ana on a phone from the phrase and Bo’s invite, then restores her earlier conversation from the archive', async () => {
    try {
      // Ana's only device is lost.
      await ana.kill();
      await rm(ana.dataDir, { recursive: true, force: true });
      const r = await dbs.node(join(dir, 'r'), '127.0.0.78', HEARTBEAT_MS);
      nodes.push(r);
      await r.start({ startTimeoutMs: 540_000, args: ['--setup', 'web'], readyLine: WAITING_LINE });
      const invite = await bo.cli<{ code: string }>('invite');

      phone = await (await newContext(browser, PHONE)).newPage();
      const code = await runKith(['web', 'code', '--data', r.dataDir, '--json'], { timeoutMs: 300_000 });
      expect(code.code, code.stderr).toBe(0);
      await phone.goto((code.json as { url: string }).url);
      await phone.getByRole('heading', { name: 'Set up this node', level: 1 }).waitFor(WAIT);
      await phone.getByRole('radio', { name: 'Recover with my phrase' }).check();
      await phone.getByLabel('Seed phrase').fill(phrase);
      await phone.getByLabel('BIP39 passphrase (only if your phrase has one)').fill(bip39);
      await phone.getByLabel('This device’s name (optional)').fill('new phone');
      await phone.getByLabel('Friend’s invite').fill(invite.code);
      await phone.getByRole('button', { name: 'Recover' }).click();
      await phone.getByText('Recovered').waitFor(WAIT);
      expect(await phone.content()).not.toContain(phrase);

      // The full node is up: the restore is offered with the phrase the page was given.
      await phone.getByRole('heading', { name: 'Your earlier conversations' }).waitFor(WAIT);
      const rIds = await r.cli<Ids>('identity');
      expect(rIds.userId).toBe(idsA.userId);
      // Nothing of the earlier conversation is here before the restore.
      expect(await r.api<MessageJson[]>('/messages')).toEqual([]);
      await until(async () =>
        (await r.api<{ deviceId: string; online: boolean }[]>('/peers')).some(
          (p) => p.deviceId === idsB.deviceId && p.online,
        ),
      );
      // `kith recover --revoke`: the lost laptop is revoked from the page; Bo learns it.
      await phone.getByRole('group', { name: 'Devices to revoke' }).getByRole('checkbox').check();
      await phone.getByRole('button', { name: 'Revoke the checked devices' }).click();
      await phone.getByText('1 device revoked.').waitFor(WAIT);
      await until(async () =>
        (await bo.api<{ deviceId: string; status: string }[]>('/peers')).some(
          (p) => p.deviceId === idsA.deviceId && p.status === 'revoked',
        ),
      );
      await phone.getByRole('button', { name: 'Restore from the archive' }).click();
      await phone.getByText('1 conversation restored, 2 messages new on this device').waitFor(WAIT);
      await shots.take(phone, 'setup-archive-restored-phone');
      expect(await phone.content()).not.toContain(phrase);
      expect((await phone.evaluate('document.documentElement.scrollWidth')) as number).toBeLessThanOrEqual(
        360,
      );
      expect((await axeViolations(phone)).map((v) => `${v.id} (${v.impact})`)).toEqual([]);
      const messages = await r.api<MessageJson[]>('/messages');
      expect(messages.map((m) => m.text)).toEqual(['before I lost my laptop', 'noted, Ana']);

      // Through the UI: the conversation is listed again and opens with both messages.
      await phone.getByRole('button', { name: 'Continue' }).click(WAIT);
      await phone.getByRole('heading', { name: 'Devices', level: 1 }).waitFor(WAIT);
      await phone
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Conversations', exact: true })
        .click();
      await phone.getByRole('heading', { name: 'Conversations', level: 1 }).waitFor(WAIT);
      await phone.getByRole('link', { name: /noted, Ana/ }).click(WAIT);
      await phone.locator('.messages li.mine').filter({ hasText: 'before I lost my laptop' }).waitFor(WAIT);
      await phone.locator('.messages li.theirs').filter({ hasText: 'noted, Ana' }).waitFor(WAIT);

      // The Archive page offers the same restore (with or without the phrase), on a phone too.
      await phone
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Archive', exact: true })
        .click();
      await phone.getByRole('heading', { name: 'Restore from the archive', level: 2 }).waitFor(WAIT);
      // The last run's report is shown there too.
      await phone.getByText('1 conversation restored, 2 messages new on this device').waitFor(WAIT);
      expect((await phone.evaluate('document.documentElement.scrollWidth')) as number).toBeLessThanOrEqual(
        360,
      );
      expect((await axeViolations(phone)).map((v) => `${v.id} (${v.impact})`)).toEqual([]);
      // A wrong phrase is refused with a sentence, and nothing runs.
      await phone.getByLabel('Seed phrase (after a recovery; optional)').fill(phrase);
      await phone.getByRole('button', { name: 'Restore conversations' }).click();
      await phone.getByRole('alert').filter({ hasText: 'another user' }).waitFor(WAIT);
    } catch (e) {
      failed = true;
      throw e;
    }
  }, 900_000);
});

/** Waits for a condition that the network makes true eventually (the test's own timeout bounds it). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}
