/**
 * Browser tier: core's crypto entry and envelope, bundled for the browser, run in Chromium on
 * the noble backend and open an envelope sealed here by Node's native backend.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/crypto/bytes.ts';
import { nativeBackend } from '../../src/crypto/native.ts';
import { sealEnvelope } from '../../src/envelope.ts';

const CHROMIUM = process.env.KITH_CHROMIUM ?? '/usr/bin/chromium';
const ENTRY = fileURLToPath(new URL('./browser-entry.ts', import.meta.url));

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium, or set KITH_CHROMIUM.`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

describe('core in Chromium', () => {
  it('opens an envelope sealed by the native backend, on noble, with no Node in sight', async () => {
    const random = (n: number) => new Uint8Array(randomBytes(n));
    const recipientKey = random(32);
    const senderSeed = random(32);
    const sealed = await sealEnvelope({
      kind: 'test',
      plaintext: utf8.encode('opened in a browser'),
      recipients: [nativeBackend.x25519PublicKey(recipientKey)],
      threshold: 1,
      sender: { seed: senderSeed, publicKey: nativeBackend.ed25519PublicKey(senderSeed) },
      createdAt: 1_700_000_000_000,
      random,
      backend: nativeBackend,
    });
    const bundle = await build({
      entryPoints: [ENTRY],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'kithCore',
      write: false,
      logLevel: 'silent',
    });
    const page = await browser.newPage();
    try {
      // A secure context, as the web UI will be served (WebCrypto, which HPKE uses, needs one).
      await page.route('http://localhost/', (route) =>
        route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>kith core</title>' }),
      );
      await page.goto('http://localhost/');
      await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
      const opened = await page.evaluate(
        ([envelope, key]) =>
          (
            globalThis as unknown as {
              kithCore: {
                openHex(e: string, k: string): Promise<{ text: string; backend: string; node: boolean }>;
              };
            }
          ).kithCore.openHex(envelope, key),
        [toHex(sealed), toHex(recipientKey)] as const,
      );
      expect(opened).toEqual({ text: 'opened in a browser', backend: 'noble', node: false });
    } finally {
      await page.close();
    }
  });
});
