/**
 * Browser tier (docs/ARCHITECTURE.md "Web UI"): playwright-core driving Debian's Chromium
 * (/usr/bin/chromium, installed by .ci/run), the axe-core scan, and screenshots.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';
import qrcode from 'qrcode-generator';

export const CHROMIUM = process.env.KITH_CHROMIUM ?? '/usr/bin/chromium';

/** Chromium's flags for a fake camera showing the frames of a Y4M file (see `writeQrVideo`). */
export function fakeCameraArgs(y4m: string): string[] {
  return [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${y4m}`,
  ];
}

/**
 * A short Y4M video (4:2:0, grey) of `text` as a QR code, for Chromium's fake camera: what a
 * phone held up to another screen's invite sees.
 */
export async function writeQrVideo(path: string, text: string): Promise<void> {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const size = 640;
  const scale = Math.floor(size / (n + 8));
  const offset = Math.floor((size - n * scale) / 2);
  const y = Buffer.alloc(size * size, 235);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++)
      if (qr.isDark(r, c))
        for (let dy = 0; dy < scale; dy++)
          y.fill(
            16,
            (offset + r * scale + dy) * size + offset + c * scale,
            (offset + r * scale + dy) * size + offset + (c + 1) * scale,
          );
  const chroma = Buffer.alloc((size / 2) * (size / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma]);
  await writeFile(
    path,
    Buffer.concat([Buffer.from(`YUV4MPEG2 W${size} H${size} F10:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]),
  );
}

/** `executablePath`: a wrapper that runs Chromium elsewhere, e.g. in a network namespace. */
export async function launchChromium(extraArgs: string[] = [], executablePath = CHROMIUM): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does.`,
    );
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      ...extraArgs,
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

export function newContext(
  browser: Browser,
  kind: typeof DESKTOP | typeof PHONE,
  extra: BrowserContextOptions = {},
): Promise<BrowserContext> {
  return browser.newContext({
    ...kind,
    ignoreHTTPSErrors: true,
    locale: 'en-GB',
    timezoneId: 'UTC',
    ...extra,
  });
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
