/** Bundled for Chromium by core-in-chromium.browser.test.ts: opens an envelope with core's default backend. */
import { fromHex, utf8 } from '../../src/crypto/bytes.ts';
import { defaultBackend } from '../../src/crypto/index.ts';
import { openEnvelope } from '../../src/envelope.ts';

export async function openHex(
  envelope: string,
  privateKeyHex: string,
): Promise<{ text: string; backend: string; node: boolean }> {
  const backend = defaultBackend();
  const privateKey = fromHex(privateKeyHex);
  const opened = await openEnvelope(fromHex(envelope), {
    keys: [{ privateKey, publicKey: backend.x25519PublicKey(privateKey) }],
  });
  return {
    text: utf8.decode(opened.plaintext),
    backend: backend.name,
    node: typeof (globalThis as { process?: unknown }).process !== 'undefined',
  };
}
