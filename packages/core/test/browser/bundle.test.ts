/**
 * Core loads in a browser (docs/ARCHITECTURE.md, "Packages and arrows"): every source file of
 * packages/core except the native backend bundles for platform=browser, where esbuild has no
 * Node builtins to offer. The native backend alone is the one that needs node:crypto.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const NATIVE = 'crypto/native.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function bundleForBrowser(files: string[]) {
  const contents = files.map((f) => `export * as m${files.indexOf(f)} from ${JSON.stringify(f)};`).join('\n');
  return build({
    stdin: { contents, resolveDir: SRC, loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
}

describe('core in a browser', () => {
  it('every core module but the native backend bundles without Node builtins', async () => {
    const files = sourceFiles(SRC).filter((f) => relative(SRC, f) !== NATIVE);
    expect(files.length).toBeGreaterThan(50);
    const result = await bundleForBrowser(files);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => i.startsWith('node:') || i.includes('crypto/native.ts'))).toEqual([]);
  });

  it('the native backend does not (so the check above can fail)', async () => {
    await expect(bundleForBrowser([join(SRC, NATIVE)])).rejects.toThrow(/node:crypto/);
  });
});
