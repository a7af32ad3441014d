/**
 * Long data on a 360 px phone (docs/ARCHITECTURE.md "Web UI", "Phone and keyboard"): names of 64
 * characters without a space, topics of 200, 64 options of 128 characters, a message that is
 * one long word, error sentences that repeat what was typed, the ids. No screen may become wider
 * than the phone (document scrollWidth <= 360), whatever it shows. The Archive screen has its
 * own check in ui.browser.test.ts. Also the controls that do what the CLI does where the page
 * had none: the peer list (`kith peers`), the archive re-wrap (`kith archive rewrap`), the
 * conversation's membership and parameters (`--membership`, `--param`, `--pattern-param`), a
 * block, a non-binding Apache vote and taking a vote back (`kith vote --block | --apache
 * [--binding] | --withdraw`), and creating an identity with a device name and a BIP39 passphrase
 * (`kith init --device-name --bip39-passphrase-file`) in setup mode.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveRootKeys } from '@kith/core/identity/derive';
import { phraseToSeed } from '@kith/core/identity/phrase';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterDatabases,
  clusterDatabaseKind,
  type KithNode,
  pairAndConfirm,
  waitFor,
} from '../helpers/cluster.ts';
import { makeTempDir } from '../helpers/database.ts';
import { runKith } from '../helpers/kith-cli.ts';
import { launchChromium, newContext, PHONE } from './browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAILURES = join(ROOT, 'test/browser/failures');
const WAIT = { timeout: 180_000 };
const kind = clusterDatabaseKind()[0]!;

/** Words with no place to break: what widens a page when nothing wraps them. */
const word = (prefix: string, n: number) => `${prefix}${'w'.repeat(n - prefix.length)}`;
const NAME_A = word('Anastasia', 64);
const NAME_B = word('Bartholomew', 64);
/** Each conversation's topic: 200 characters, its key first so that each screen is told apart. */
const topic = (key: string) => word(`Topic${key}`, 200);
const TOPIC = topic('');
const OPTIONS = Array.from({ length: 64 }, (_, i) => word(`option${i}-`, 128));
const FEW = OPTIONS.slice(0, 6);

interface View {
  id: string;
  membership: string;
  patternParams: Record<string, unknown>;
  params: Record<string, unknown>;
  tally: {
    blocks: { voter: string; reason: string }[];
    apache: { binding: { plus: number }; all: { plus: number } };
  };
}

describe(`long data on a 360 px phone (${kind})`, () => {
  let dbs: ClusterDatabases;
  let dir: string;
  let a: KithNode;
  let b: KithNode;
  let fresh: KithNode | undefined;
  let browser: Browser;
  let page: Page;
  let setupPage: Page | undefined;
  let aId: string;
  let bId: string;
  /** Conversation ids by what they show. */
  const conversations: Record<string, string> = {};
  let failed = false;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'services/web/dist/index.html')))
      execFileSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
    dbs = new ClusterDatabases(kind);
    dir = await makeTempDir('kith-long-data-');
    a = await dbs.node(join(dir, 'a'), '127.0.0.131', 400);
    b = await dbs.node(join(dir, 'b'), '127.0.0.132', 400);
    await Promise.all([a.start({ startTimeoutMs: 540_000 }), b.start({ startTimeoutMs: 540_000 })]);
    await pairAndConfirm(a, b);
    aId = (await a.cli<{ userId: string }>('status')).userId;
    bId = (await b.cli<{ userId: string }>('status')).userId;
    await a.apiPost('/identity/name', { name: NAME_A });
    await b.apiPost('/identity/name', { name: NAME_B });
    const members = [aId, bId];
    const create = async (key: string, body: Record<string, unknown>) => {
      const c = await a.apiPost<{ id: string }>('/conversations', { topic: topic(key), members, ...body });
      conversations[key] = c.id;
    };
    await create('ranking', { pattern: 'proposal', method: 'irv', options: OPTIONS });
    await create('apache', { pattern: 'proposal', method: 'apache-release' });
    await create('approval', { pattern: 'time-poll', method: 'approval', options: FEW });
    await create('score', { pattern: 'proposal', method: 'score', options: FEW });
    await create('dots', { pattern: 'proposal', method: 'dot-vote', options: FEW });
    await create('consent', { pattern: 'proposal', method: 'consent' });
    await create('debate', { pattern: 'debate', method: 'schulze', options: FEW });
    await create('announcement', { pattern: 'announcement', method: 'all-acknowledged' });
    await create('discussion', { pattern: 'discussion', method: 'lazy-consensus' });
    await a.apiPost(`/conversations/${conversations.ranking}/posts`, { text: word('comment', 3000) });
    await b.apiPost('/messages', { to: aId, text: word('message', 3000) });
    // A few open invites, listed on the Friends screen.
    for (let i = 0; i < 3; i++) await a.apiPost('/invites', { role: 'friend', short: true });
    browser = await launchChromium();
    // Another browser whose name (user agent) is one long word: Devices lists it among the
    // signed-in browsers.
    const other = await newContext(browser, PHONE, { userAgent: word('Browser/', 300) });
    const otherPage = await other.newPage();
    await otherPage.goto((await webCode(a)).url);
    await otherPage.getByRole('heading', { name: 'Conversations', level: 1 }).waitFor(WAIT);
    await other.close();
    page = await (await newContext(browser, PHONE)).newPage();
    await page.goto((await webCode(a)).url);
    await page.getByRole('heading', { name: 'Conversations', level: 1 }).waitFor(WAIT);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor(WAIT);
  }, 900_000);

  afterAll(async () => {
    if (failed) {
      mkdirSync(FAILURES, { recursive: true });
      for (const [name, p] of Object.entries({ 'long-data': page, 'long-data-setup': setupPage }))
        await p
          ?.screenshot({ path: join(FAILURES, `${name}.png`), fullPage: true, timeout: 10_000 })
          .catch(() => {});
      for (const n of [a, b, fresh])
        if (n) console.error(`--- ${n.dataDir} node.log (tail)\n${(await n.log()).slice(-4000)}`);
    }
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop(), fresh?.stop()]);
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
    'Conversations, every kind of conversation view and a chat fit 360 px',
    () =>
      step(async () => {
        const wide: string[] = [];
        await visit(page, 'Conversations');
        await page
          .getByRole('link', { name: /Topicrankingw/ })
          .first()
          .waitFor(WAIT);
        await page.getByRole('link', { name: /messagew/ }).waitFor(WAIT);
        wide.push(...(await overflow(page, 'Conversations')));
        await page.getByRole('link', { name: /messagew/ }).click();
        await page.locator('.messages li.theirs').filter({ hasText: 'messagew' }).waitFor(WAIT);
        wide.push(...(await overflow(page, 'chat')));
        for (const [key, id] of Object.entries(conversations)) {
          await page.evaluate(`location.hash = '#/conversations/${id}'`);
          await page.getByRole('heading', { level: 1, name: topic(key), exact: true }).waitFor(WAIT);
          // Its ballot (or its outcome) drawn too, not only its heading.
          await page
            // A discussion has no ballot on the page: its thread, then.
            .locator(key === 'discussion' ? '.entries' : '.ballot, .outcome')
            .first()
            .waitFor(WAIT)
            .catch((e: Error) => {
              throw new Error(`conversation (${key}): no ballot or outcome shown: ${e.message}`);
            });
          wide.push(...(await overflow(page, `conversation (${key})`)));
        }
        expect(wide).toEqual([]);
      }),
    600_000,
  );

  it(
    'New conversation: long names among the members, its settings and a long error fit 360 px; the settings reach the node',
    () =>
      step(async () => {
        const wide: string[] = [];
        await visit(page, 'New conversation');
        await page.getByRole('group', { name: 'Members' }).getByText(NAME_B).waitFor(WAIT);
        await page.getByLabel('Topic').fill(TOPIC);
        await page.getByLabel('Options (one per line)').fill(OPTIONS.join('\n'));
        await page.getByText('More settings').click();
        // A parameter the method does not take: the node's sentence repeats its long name.
        await page.getByLabel('Method parameters (key=value, one a line)').fill(`${word('key', 300)}=1`);
        await page.getByRole('button', { name: 'Create' }).click();
        await page.getByRole('alert').filter({ hasText: 'keyw' }).waitFor(WAIT);
        wide.push(...(await overflow(page, 'New conversation (error)')));
        await page.getByLabel('How it is decided').selectOption('custom');
        await page.getByLabel('Custom rule').fill(`${word('rule', 400)} >=`);
        await page.locator('#rule-state.error').waitFor(WAIT);
        wide.push(...(await overflow(page, 'New conversation (rule error)')));
        expect(wide).toEqual([]);

        // `kith conversation create --membership fixed --param min=1 --pattern-param capacity=2`.
        await page.getByLabel('Pattern', { exact: true }).selectOption('invitation');
        expect(await page.getByLabel('How it is decided').inputValue()).toBe('rsvp-threshold');
        await page.getByLabel('Topic').fill('Dinner on Saturday');
        await page.getByLabel('Options (one per line)').fill('');
        await page.getByLabel('Who changes the members').selectOption('fixed');
        await page.getByLabel('Method parameters (key=value, one a line)').fill('min=1');
        await page.getByLabel('Pattern parameters (key=value, one a line)').fill('capacity=2');
        const members = page.getByRole('group', { name: 'Members' }).getByRole('checkbox');
        await members.nth(1).check();
        await page.getByRole('button', { name: 'Create' }).click();
        await page.getByRole('heading', { level: 1, name: 'Dinner on Saturday' }).waitFor(WAIT);
        const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
        const view = await a.api<View>(`/conversations/${id}`);
        expect(view.membership).toBe('fixed');
        expect(view.patternParams).toEqual({ capacity: 2 });
        expect(view.params).toMatchObject({ min: 1 });
      }),
    300_000,
  );

  it(
    'a proposal: a non-binding Apache vote, taken back, then a block with a long reason (kith vote)',
    () =>
      step(async () => {
        const id = conversations.apache!;
        const view = () => a.api<View>(`/conversations/${id}`);
        await page.evaluate(`location.hash = '#/conversations/${id}'`);
        await page.getByRole('heading', { level: 1, name: topic('apache'), exact: true }).waitFor(WAIT);
        await page.getByLabel('My vote is binding (I am one of those who decide)').uncheck();
        await page.getByRole('button', { name: '+1', exact: true }).click();
        await page.getByRole('status').filter({ hasText: 'Vote sent' }).waitFor(WAIT);
        let tally = (await view()).tally;
        expect([tally.apache.all.plus, tally.apache.binding.plus]).toEqual([1, 0]);
        await page.getByRole('button', { name: 'Take back my vote' }).click();
        await page.getByRole('status').filter({ hasText: 'Vote taken back' }).waitFor(WAIT);
        tally = (await view()).tally;
        expect(tally.apache.all.plus).toBe(0);
        // A block on a consent proposal (the method counts blocks), with a long reason.
        const consent = conversations.consent!;
        await page.evaluate(`location.hash = '#/conversations/${consent}'`);
        await page.getByRole('heading', { level: 1, name: topic('consent'), exact: true }).waitFor(WAIT);
        const reason = word('because', 1500);
        await page.getByLabel('Block (a reason)').fill(reason);
        await page.getByRole('button', { name: 'Block', exact: true }).click();
        await page.locator('.standing').filter({ hasText: '1 block(s)' }).waitFor(WAIT);
        const blocks = (await a.api<View>(`/conversations/${consent}`)).tally.blocks;
        expect(blocks).toEqual([{ voter: aId, reason }]);
        expect(await overflow(page, 'proposal with a block')).toEqual([]);
        // An objection on a proposal whose method does not ask for consent (`kith vote --object`).
        const scored = conversations.score!;
        await page.evaluate(`location.hash = '#/conversations/${scored}'`);
        await page.getByRole('heading', { level: 1, name: topic('score'), exact: true }).waitFor(WAIT);
        await page.getByLabel('Object or block (a reason)').fill('Too far away');
        await page.getByRole('button', { name: 'Object', exact: true }).click();
        // Recorded in the conversation though the score method does not count it.
        await waitFor('the objection in the timeline', async () =>
          JSON.stringify(
            (await a.api<{ timeline: unknown[] }>(`/conversations/${scored}`)).timeline,
          ).includes('Too far away'),
        );
      }),
    300_000,
  );

  it(
    'Friends: long names, an invite with its codes, open invites and a long error fit 360 px',
    () =>
      step(async () => {
        const wide: string[] = [];
        await visit(page, 'Friends');
        await page.locator('.card').filter({ hasText: NAME_B }).waitFor(WAIT);
        await page.getByRole('heading', { name: 'Open invites' }).waitFor(WAIT);
        wide.push(...(await overflow(page, 'Friends')));
        await page.getByRole('button', { name: 'Make an invite' }).click();
        await page.getByLabel('Invite code', { exact: true }).waitFor(WAIT);
        wide.push(...(await overflow(page, 'Friends (invite)')));
        await page.getByRole('button', { name: 'Cancel the invite' }).click();
        await page.getByLabel('Paste your friend’s invite code').fill(`KITH1-${'x'.repeat(2000)}`);
        await page.getByRole('button', { name: 'Accept', exact: true }).click();
        await page.getByRole('alert').first().waitFor(WAIT);
        wide.push(...(await overflow(page, 'Friends (error)')));
        expect(wide).toEqual([]);
      }),
    300_000,
  );

  it(
    'Network: the picture and the peer list (kith peers: link, address, clock) fit 360 px',
    () =>
      step(async () => {
        const peer = (await a.api<{ deviceId: string; own: boolean }[]>('/peers')).find((p) => !p.own)!;
        await visit(page, 'Network');
        const card = page.locator('.card.peer').filter({ hasText: peer.deviceId });
        await card.filter({ hasText: NAME_B }).filter({ hasText: 'online' }).waitFor(WAIT);
        await card.filter({ hasText: /Link (direct|through|a hole|relayed).* · address \S+/ }).waitFor(WAIT);
        expect(await overflow(page, 'Network')).toEqual([]);
      }),
    300_000,
  );

  it(
    'Devices: my user id, the re-wrap with the phrase (kith archive rewrap), the phrase forms and a long browser name fit 360 px',
    () =>
      step(async () => {
        const wide: string[] = [];
        await visit(page, 'Devices');
        await page.locator('code.id').filter({ hasText: aId }).first().waitFor(WAIT);
        await page.getByText('This browser').waitFor(WAIT);
        await page.locator('.card strong').filter({ hasText: 'Browser/www' }).waitFor(WAIT);
        // A wrong phrase: the node's sentence, and nothing re-sealed.
        await page.getByLabel('Your seed phrase (to re-seal the archive)').fill(word('notaphrase', 300));
        await page.getByRole('button', { name: 'Re-seal the archive' }).click();
        await page
          .getByRole('form', { name: 'Re-seal the archive after a revocation' })
          .getByRole('alert')
          .waitFor(WAIT);
        wide.push(...(await overflow(page, 'Devices (re-wrap error)')));
        // The right phrase: the pass runs through the web part (its allow-list) and says what it did.
        const { phrase } = await a.cli<{ phrase: string }>('phrase', '--reveal');
        await page.getByLabel('Your seed phrase (to re-seal the archive)').fill(phrase);
        await page.getByRole('button', { name: 'Re-seal the archive' }).click();
        await page.getByRole('status').filter({ hasText: 'sealed anew to my devices' }).waitFor(WAIT);
        expect(await page.getByLabel('Your seed phrase (to re-seal the archive)').inputValue()).toBe('');
        await page.getByRole('button', { name: 'Make a device invite' }).click();
        await page.getByLabel('Invite open for').waitFor(WAIT);
        await page.getByLabel('Backup passphrase').fill('one');
        await page.getByLabel('The passphrase again').fill('two');
        await page.getByRole('button', { name: 'Download a backup' }).click();
        await page.getByRole('alert').filter({ hasText: 'The two passphrases differ' }).waitFor(WAIT);
        wide.push(...(await overflow(page, 'Devices')));
        for (const screen of ['Onboarding', 'Unlock']) {
          await visit(page, screen);
          wide.push(...(await overflow(page, screen)));
        }
        await page.getByLabel('Unlock passphrase').fill(word('pass', 500));
        await page.getByRole('button', { name: 'Unlock', exact: true }).click();
        const main = page.locator('main');
        await main.getByRole('status').or(main.getByRole('alert')).first().waitFor(WAIT);
        wide.push(...(await overflow(page, 'Unlock (answered)')));
        expect(wide).toEqual([]);
      }),
    300_000,
  );

  it(
    'setup mode: create an identity with a long name, a device name and a BIP39 passphrase (kith init), at 360 px',
    () =>
      step(async () => {
        // The last step: B is no longer needed, and the machine runs two nodes at most.
        await b.stop();
        fresh = await dbs.node(join(dir, 'fresh'), '127.0.0.133', 1000);
        await fresh.start({
          startTimeoutMs: 540_000,
          args: ['--setup', 'web'],
          readyLine: 'waiting for you in the web UI',
        });
        setupPage = await (await newContext(browser, PHONE)).newPage();
        await setupPage.goto((await webCode(fresh)).url);
        await setupPage.getByRole('heading', { name: 'Set up this node' }).waitFor(WAIT);
        const wide: string[] = [];
        await setupPage.getByLabel('Your name, as friends will see it (optional)').fill(NAME_A);
        await setupPage.getByLabel('This device’s name (optional)').fill(word('Device', 64));
        await setupPage.getByText('A BIP39 passphrase (optional)').click();
        await setupPage.getByLabel('BIP39 passphrase', { exact: true }).fill('twenty-fifth word');
        await setupPage.getByLabel('The BIP39 passphrase again').fill('twenty-fifth wort');
        await setupPage.getByText('The two passphrases differ.').waitFor(WAIT);
        expect(await setupPage.getByRole('button', { name: 'Create identity' }).isDisabled()).toBe(true);
        wide.push(...(await overflow(setupPage, 'Set up (create)')));
        await setupPage.getByLabel('The BIP39 passphrase again').fill('twenty-fifth word');
        await setupPage.getByRole('button', { name: 'Create identity' }).click();
        await setupPage.getByRole('button', { name: 'Continue' }).click(WAIT);
        await setupPage.getByRole('heading', { name: 'Onboarding', level: 1 }).waitFor(WAIT);
        await setupPage.getByRole('button', { name: 'Show my phrase once' }).click();
        await setupPage.getByRole('list', { name: 'Seed phrase' }).locator('li').first().waitFor(WAIT);
        const words = await setupPage
          .getByRole('list', { name: 'Seed phrase' })
          .locator('li')
          .allTextContents();
        expect(words.length).toBe(24);
        wide.push(...(await overflow(setupPage, 'Onboarding (phrase)')));
        const me = await fresh.api<{ userId: string; name: string; devices: { name: string }[] }>(
          '/identity',
        );
        expect(me.name).toBe(NAME_A);
        expect(me.devices.map((d) => d.name)).toEqual([word('Device', 64)]);
        // The user id is the root key's from the phrase WITH the BIP39 passphrase, not without it.
        const phrase = words.join(' ');
        expect(deriveRootKeys(phraseToSeed(phrase, 'twenty-fifth word')).userId).toBe(me.userId);
        expect(deriveRootKeys(phraseToSeed(phrase, '')).userId).not.toBe(me.userId);
        expect(wide).toEqual([]);
      }),
    900_000,
  );
});

/**
 * Where the page is wider than the phone: nothing when it fits, else the screen's width and
 * the first elements that reach past the right edge (outside sideways-scrolling boxes).
 */
async function overflow(page: Page, where: string): Promise<string[]> {
  await page.waitForLoadState('networkidle');
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  if (width <= 360) return [];
  const culprits = (await page.evaluate(`(() => {
    const out = [];
    for (const el of document.querySelectorAll('main *')) {
      const r = el.getBoundingClientRect();
      if (r.right <= 361) continue;
      const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls + ' ' + Math.round(r.right) + 'px');
      if (out.length === 4) break;
    }
    return out;
  })()`)) as string[];
  return [`${where}: ${width} px wide (${culprits.join(', ')})`];
}

/** `kith web code --json`, with room for a busy machine. */
async function webCode(node: KithNode): Promise<{ url: string }> {
  const r = await runKith(['web', 'code', '--data', node.dataDir, '--json'], { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`kith web code failed (${r.code}): ${r.stdout} ${r.stderr}`);
  return r.json as { url: string };
}

async function visit(page: Page, screen: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: screen, exact: true })
    .click();
  await page.getByRole('heading', { level: 1, name: screen }).waitFor(WAIT);
}
