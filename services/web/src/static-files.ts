/**
 * The built single-page app (dist/web, or services/web/dist in a source run; both made by
 * `npm run build`): files by path,
 * index.html for any other page path (the app routes itself), long caching for hashed assets.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the app is: dist/web beside the bundled chunks (scripts/build.mjs copies it there), or
 * services/web/dist when this module runs as TypeScript source (tests, tsx).
 */
export const DEFAULT_STATIC_DIR =
  [new URL('./web/', import.meta.url), new URL('../dist/', import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((dir) => existsSync(join(dir, 'index.html'))) ??
  fileURLToPath(new URL('../dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Kith</title>
<p>The web UI is not built in this checkout. Run <code>npm run build:web</code>, then reload.</p>`;

export async function serveStatic(
  dir: string,
  path: string,
  res: ServerResponse,
  head: boolean,
): Promise<void> {
  const clean = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '');
  let file = join(dir, clean);
  if (!file.startsWith(dir.endsWith(sep) ? dir : dir + sep) && file !== dir) {
    res.writeHead(404).end();
    return;
  }
  let found = await stat(file)
    .then((s) => s.isFile())
    .catch(() => false);
  if (!found && extname(clean) === '') {
    file = join(dir, 'index.html');
    found = await stat(file)
      .then((s) => s.isFile())
      .catch(() => false);
    if (!found) {
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(head ? undefined : NOT_BUILT);
      return;
    }
  }
  if (!found) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(head ? undefined : 'Not found');
    return;
  }
  const body = await readFile(file);
  const immutable = clean.startsWith('assets/');
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(head ? undefined : body);
}
