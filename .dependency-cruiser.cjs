/**
 * The arrows between packages (docs/ARCHITECTURE.md, "Packages and arrows"), checked by
 * `npm run lint`:  core <- db <- archive <- agent <- cli,  core <- consensus,  core <- web;
 * core <- api (the typed API client and route schemas), which the agent serves and the CLI,
 * the consensus worker and the web UI call. The CLI assembles the parts (`kith up`), so it may
 * import all of them.
 * A package may import only itself and what its arrows point to; npm packages are not checked
 * here. Only sources count (tests may reach across to assemble what they test).
 */
const PACKAGES = {
  core: { path: '^packages/core/', allowed: [] },
  api: { path: '^packages/api/', allowed: ['core'] },
  db: { path: '^db/', allowed: ['core'] },
  archive: { path: '^services/archive/', allowed: ['core', 'db'] },
  agent: { path: '^services/agent/', allowed: ['core', 'api', 'db', 'archive'] },
  consensus: { path: '^services/consensus/', allowed: ['core', 'api'] },
  web: { path: '^services/web/', allowed: ['core', 'api'] },
  cli: { path: '^cli/', allowed: ['core', 'api', 'db', 'archive', 'agent', 'consensus', 'web'] },
};

const SOURCES = '^(packages/[^/]+/src|services/[^/]+/src|cli/src|db)/';

const arrows = Object.entries(PACKAGES).map(([name, { path, allowed }]) => ({
  name: `arrows-${name}`,
  comment: `${name} may import only ${allowed.length ? allowed.join(', ') : 'itself'} among Kith's packages`,
  severity: 'error',
  from: { path },
  to: { path: SOURCES, pathNot: [path, ...allowed.map((a) => PACKAGES[a].path)] },
}));

module.exports = {
  forbidden: [...arrows],
  options: {
    includeOnly: SOURCES,
    // Workspace packages are symlinks in node_modules: report where they really are.
    preserveSymlinks: false,
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.json'],
    },
  },
};
