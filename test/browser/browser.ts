/**
 * Browser tier (docs/ARCHITECTURE.md "Web UI"): playwright-core driving Debian's Chromium
 * (/usr/bin/chromium, installed by .ci/run), the axe-core scan, and screenshots.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.KITH_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does.`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export const DESKTOP = { viewport: { width: 1180, height: 860 } };
/** The narrowest phone the UI supports. */
export const PHONE = {
  viewport: { width: 360, height: 760 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
};

export function newContext(browser: Browser, kind: typeof DESKTOP | typeof PHONE): Promise<BrowserContext> {
  return browser.newContext({ ...kind, ignoreHTTPSErrors: true, locale: 'en-GB', timezoneId: 'UTC' });
}

let axeSource: string | undefined;

/** axe-core's serious and critical violations on the page as it is now. */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated over the DevTools protocol: the page's CSP (script-src 'self') does not apply.
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(
    `axe.run(document).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })))`,
  )) as { id: string; impact: string; nodes: string[] }[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Screenshots go to KITH_SCREENSHOTS (npm run screenshots: docs/screenshots), else only on failure. */
export class Shots {
  readonly taken: { name: string; page: Page }[] = [];
  constructor(private readonly dir: string | undefined) {}

  async take(page: Page, name: string): Promise<void> {
    this.taken.push({ name, page });
    if (!this.dir) return;
    await mkdir(this.dir, { recursive: true });
    await page.screenshot({ path: join(this.dir, `${name}.png`), fullPage: false });
  }

  /** On failure: what every page showed at the end, for the post-mortem. */
  async dump(dir: string, pages: Record<string, Page>): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (const [name, page] of Object.entries(pages))
      await page.screenshot({ path: join(dir, `failure-${name}.png`), fullPage: true }).catch(() => {});
  }
}
