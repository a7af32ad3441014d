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

/**
 * KNOWN VIOLATION, allowed until it is removed (issue #11, part B): the consensus worker still
 * imports the agent's classes here; it is to reach the agent through its port (HTTP, or an
 * in-process implementation wired where the node is assembled). Remove each file as it goes.
 */
const CONSENSUS_IMPORTS_AGENT_UNTIL_PORT =
  '^services/consensus/src/(in-process|local-agent|run|timing)[.]ts$';

const SOURCES = '^(packages/[^/]+/src|services/[^/]+/src|cli/src|db)/';

const arrows = Object.entries(PACKAGES).map(([name, { path, allowed }]) => ({
  name: `arrows-${name}`,
  comment: `${name} may import only ${allowed.length ? allowed.join(', ') : 'itself'} among Kith's packages`,
  severity: 'error',
  from: { path, ...(name === 'consensus' ? { pathNot: CONSENSUS_IMPORTS_AGENT_UNTIL_PORT } : {}) },
  to: { path: SOURCES, pathNot: [path, ...allowed.map((a) => PACKAGES[a].path)] },
}));

module.exports = {
  forbidden: [
    ...arrows,
    {
      name: 'arrows-consensus-known-exception',
      comment: 'the four consensus files of the known violation may import the agent too, nothing else',
      severity: 'error',
      from: { path: CONSENSUS_IMPORTS_AGENT_UNTIL_PORT },
      to: { path: SOURCES, pathNot: [PACKAGES.consensus.path, PACKAGES.core.path, PACKAGES.agent.path] },
    },
  ],
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
