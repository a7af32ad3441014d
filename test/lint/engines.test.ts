/**
 * Every package npm installs supports the Node floor of package.json's engines field
 * (docs/ARCHITECTURE.md "Dependencies"), so `npm ci` on that Node prints no EBADENGINE warning.
 * Reads package-lock.json, where npm records each package's engines.
 */
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; dev?: boolean; optional?: boolean }>;
};

describe('dependencies and the engines field', () => {
  it('every locked package accepts the lowest Node the engines field allows', () => {
    const floor = semver.minVersion(pkg.engines.node)!.version;
    const refused = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && !Array.isArray(p.engines) && p.engines?.node)
      .filter(([, p]) => !semver.satisfies(floor, (p.engines as { node: string }).node))
      .map(([path, p]) => `${path} wants node ${(p.engines as { node: string }).node}`);
    expect(refused).toEqual([]);
  });
});
