/**
 * route-paths.ts (where each route is; what the client needs) and routes.ts (the same routes
 * with their schemas) name the same routes, and the client module never loads the schemas:
 * the browser's bundle stays without typebox.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ROUTE_PATHS } from '../src/route-paths.ts';
import { ROUTES } from '../src/routes.ts';

describe('route paths', () => {
  it('name every route of ROUTES, with its method and path', () => {
    expect(Object.keys(ROUTE_PATHS).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const [name, spec] of Object.entries(ROUTES))
      expect({ method: spec.method, path: spec.path }).toEqual(ROUTE_PATHS[name as keyof typeof ROUTE_PATHS]);
  });

  it('a method and path name one route only', () => {
    const keys = Object.values(ROUTE_PATHS).map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('the client and the headers import no schema module (only types)', async () => {
    for (const file of ['client.ts', 'route-paths.ts', 'headers.ts']) {
      const text = await readFile(new URL(`../src/${file}`, import.meta.url), 'utf8');
      const imports = [...text.matchAll(/^import (?!type )[^;]*from '([^']+)'/gm)].map((m) => m[1]);
      for (const from of imports)
        expect(from, `${file} imports ${from}`).not.toMatch(/typebox|routes\.ts|schemas\//);
    }
  });
});
