/**
 * Start-up cost (bench/README.md, "Startup"; issue "One clean shape"): npm packages that most
 * starts never use are loaded where they are used, with `await import(…)`, never by a static
 * import that every `kith up` pays for. A type-only import costs nothing at run time and is
 * allowed. Sources under packages/, services/, cli/ and db/; tests are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Package -> when it is needed. */
const LAZY: Record<string, string> = {
  '@achingbrain/nat-port-mapper': 'UPnP port mapping, only when mapping is on and NAT-PMP found no router',
  postgres: 'the Postgres driver, only with DATABASE_URL',
  'drizzle-orm/postgres-js': 'the Postgres driver, only with DATABASE_URL',
  '@fastify/swagger':
    'the OpenAPI document, only on a request under /api/docs (services/agent/src/api/docs.ts)',
  '@fastify/swagger-ui': 'the docs UI, only on a request under /api/docs (services/agent/src/api/docs.ts)',
};

const root = fileURLToPath(new URL('../../', import.meta.url));
const ROOTS = ['packages', 'services', 'cli', 'db'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'test', 'coverage']);

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) sources(path, out);
    } else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

/** Static value imports and re-exports (not `import type`), with the module each names. */
function staticImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(?!type\s)([^;]*?)\s+from\s+['"]([^'"]+)['"]/gms)) {
    out.push(m[3]!);
  }
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  return out;
}

const isPackage = (specifier: string, name: string) => specifier === name || specifier.startsWith(`${name}/`);

describe('packages loaded only where they are used', () => {
  it('the staticImports reader sees value imports and skips type-only ones', () => {
    const text = [
      "import { a, type B } from 'x';",
      "import type { C } from 'y';",
      'import {\n  d,\n} from "z/sub";',
      "export { e } from 'w';",
      "import 'side-effect';",
      "const f = await import('lazy');",
    ].join('\n');
    expect(staticImports(text).sort()).toEqual(['side-effect', 'w', 'x', 'z/sub']);
  });

  it('no source imports a lazy package statically', () => {
    const found: string[] = [];
    for (const path of ROOTS.flatMap((r) => sources(join(root, r)))) {
      for (const specifier of staticImports(readFileSync(path, 'utf8'))) {
        const name = Object.keys(LAZY).find((p) => isPackage(specifier, p));
        if (name) found.push(`${relative(root, path)}: ${specifier} (needed for ${LAZY[name]})`);
      }
    }
    expect(found).toEqual([]);
  });
});
