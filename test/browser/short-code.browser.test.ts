/**
 * Pairing with a code said aloud, through the web UI (issues #13 and #14, docs/PROTOCOL.md §9a):
 * two `kith up` processes, each in a network namespace (joined by a veth pair, so mDNS reaches
 * the other side and nothing else on the machine), and Chromium in the first namespace with a
 * page signed in to each node's web UI. Ana's page makes an invite and shows the short code;
 * Ben's page types it in; the agent finds Ana's node by LAN discovery, both pages show the same
 * six digits and both people confirm them. Needs root (namespaces): skipped with the reason
 * printed where they cannot be made.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/database.ts';
import { NamespacePair, type Side } from '../helpers/netns.ts';
import { CHROMIUM, DESKTOP, launchChromium, newContext, PHONE, Shots } from './browser.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAILURES = join(ROOT, 'test/browser/failures');
const WAIT = { timeout: 120_000 };

const pair = new NamespacePair({ a: '10.231.78.1', b: '10.231.78.2' }, 'kith-wb');
const skipReason = pair.make();
if (skipReason) console.log(`short-code browser test skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('pairing with a spoken code in the web UI (namespaces)', () => {
  const children: ChildProcess[] = [];
  const data = {} as Record<Side, string>;
  let browser: Browser;
  let pageA: Page;
  let pageB: Page;
  let failed = false;
  const shots = new Shots(
    process.env.KITH_SCREENSHOTS ? join(ROOT, process.env.KITH_SCREENSHOTS) : undefined,
  );

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'services/web/dist/index.html')))
      execFileSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
    const dir = await makeTempDir('kith-web-short-');
    for (const [side, name] of [
      ['a', 'Ana'],
      ['b', 'Ben'],
    ] as const) {
      data[side] = join(dir, side);
      const init = await pair.kith(side, ['init', '--data', data[side], '--name', name]);
      expect(init.code, init.stderr).toBe(0);
    }
    const up = (side: Side) =>
      pair.up(side, data[side], ['--web-port', '7480', '--heartbeat-mean-ms', '2000']);
    children.push(...(await Promise.all([up('a'), up('b')])));
    // Chromium runs in A's namespace: it reaches A's web UI and, over the veth, B's.
    const wrapper = join(dir, 'chromium-in-namespace');
    await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${pair.ns.a} ${CHROMIUM} "$@"\n`, {
      mode: 0o755,
    });
    browser = await launchChromium([], wrapper);
    pageA = await (await newContext(browser, DESKTOP)).newPage();
    pageB = await (await newContext(browser, PHONE)).newPage();
  }, 900_000);

  afterAll(async () => {
    if (failed && pageA && pageB) {
      mkdirSync(FAILURES, { recursive: true });
      for (const [name, page] of Object.entries({ a: pageA, b: pageB }))
        await page
          .screenshot({ path: join(FAILURES, `short-code-${name}.png`), fullPage: true, timeout: 10_000 })
          .catch(() => {});
    }
    await browser?.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)),
    );
    pair.remove();
  }, 120_000);

  async function step(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  }

  async function signIn(side: Side, page: Page): Promise<void> {
    const r = await pair.kith(side, ['web', 'code', '--data', data[side], '--json'], 300_000);
    expect(r.code, r.stderr).toBe(0);
    await page.goto((r.json as { url: string }).url);
    await page.getByRole('heading', { name: 'Conversations', level: 1 }).waitFor(WAIT);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Friends', exact: true })
      .click();
    await page.getByRole('heading', { name: 'Friends', level: 1 }).waitFor(WAIT);
  }

  it(
    'Ana shows the short code, Ben types it, both confirm the same six digits',
    () =>
      step(async () => {
        await signIn('a', pageA);
        await signIn('b', pageB);
        const started = Date.now();
        // The short code is offered by default when inviting from the web.
        expect(await pageA.getByLabel(/short code to say aloud/).isChecked()).toBe(true);
        await pageA.getByRole('button', { name: 'Make an invite' }).click();
        const spoken = (await pageA.locator('output.spoken').textContent(WAIT))!.trim();
        expect(spoken).toMatch(/^\d{1,3}(-[a-z]+){3}$/);
        await shots.take(pageA, 'friends-short-code');

        await pageB.getByLabel('The code your friend says (same network)').fill(spoken);
        await pageB.getByRole('button', { name: 'Accept the spoken code' }).click();
        const digitsB = await pageB.locator('.sas .digits .sr').textContent(WAIT);
        const digitsA = await pageA.locator('.sas .digits .sr').textContent(WAIT);
        expect(digitsA).toMatch(/^(\d ){5}\d$/);
        expect(digitsB).toBe(digitsA);
        await pageA.getByRole('button', { name: 'The digits match' }).click();
        await pageB.getByRole('button', { name: 'The digits match' }).click();
        await pageA.getByRole('status').filter({ hasText: 'Confirmed' }).waitFor(WAIT);
        await pageB.getByRole('status').filter({ hasText: 'Confirmed' }).waitFor(WAIT);
        console.log(`short-code pairing through the web UI took ${Date.now() - started} ms`);
        // Friends on both sides, linked.
        await pageA.locator('.card').filter({ hasText: 'Ben' }).filter({ hasText: 'online' }).waitFor(WAIT);
        await pageB.locator('.card').filter({ hasText: 'Ana' }).filter({ hasText: 'online' }).waitFor(WAIT);
        const friendsOfA = (await pair.kith('a', ['friends', '--data', data.a, '--json'])).json as {
          name: string;
        }[];
        expect(friendsOfA.map((f) => f.name)).toEqual(['Ben']);
      }),
    600_000,
  );
});
