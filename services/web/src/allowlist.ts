/**
 * What a signed-in browser may ask the agent (docs/SECURITY.md "Web UI"). The web part holds the
 * agent's token; it forwards only these routes. Everything else (the web codes and sessions
 * routes, log level, raw archive blobs and indexes, the worker's outcome call) stays with the
 * CLI on the machine itself.
 */
const ID = '[^/]{1,200}';

/** Routes whose answer is bytes, passed on as a stream (a download), not as JSON. */
export const STREAMED_ROUTES: readonly string[] = ['/api/backup'];
/** Routes whose body is bytes (an uploaded file), streamed to the agent, not read as JSON. */
export const UPLOAD_ROUTES: readonly string[] = ['/api/setup/restore'];

const RULES: readonly [method: string, pattern: string][] = [
  ['GET', '/api/health'],
  // Setup mode (docs/DESIGN.md "Setup mode"): only a signed-in browser may give the node its identity.
  ['GET', '/api/setup'],
  ['POST', '/api/setup/create'],
  ['POST', '/api/setup/enrol'],
  ['POST', '/api/setup/recover'],
  ['POST', '/api/setup/restore'],
  ['GET', '/api/identity'],
  // The public, signed identity log (`kith identity --export-log`).
  ['GET', '/api/identity/log'],
  // A backup sealed under a passphrase the person types (`kith backup`): a download.
  ['POST', '/api/backup'],
  ['GET', '/api/status'],
  ['GET', '/api/friends'],
  ['GET', '/api/peers'],
  ['POST', '/api/invites'],
  ['GET', '/api/invites'],
  ['POST', '/api/invites/cancel'],
  [`GET`, `/api/invites/${ID}`],
  ['POST', '/api/pairing/accept'],
  ['POST', '/api/devices/revoke'],
  ['GET', '/api/messages'],
  ['POST', '/api/messages'],
  ['GET', '/api/messages/pending'],
  ['GET', '/api/conversations'],
  ['POST', '/api/conversations'],
  ['GET', `/api/conversations/${ID}`],
  ['POST', `/api/conversations/${ID}/posts`],
  ['POST', `/api/conversations/${ID}/votes`],
  ['POST', `/api/conversations/${ID}/arguments`],
  ['POST', '/api/rules/check'],
  ['GET', '/api/archive/status'],
  ['POST', '/api/archive/sync'],
  ['GET', '/api/archive/history'],
  ['GET', '/api/archive/current'],
  ['GET', `/api/archive/items/${ID}`],
  // Restoring the archive (`kith archive restore`): the phrase, typed into the page, in the body.
  ['POST', '/api/archive/restore-run'],
  // Re-sealing what a revoked device could open (`kith archive rewrap`): the phrase in the body.
  ['POST', '/api/archive/rewrap'],
  ['GET', '/api/archive/restore-run'],
  ['GET', '/api/relay/status'],
  ['POST', '/api/identity/name'],
  ['GET', '/api/identity/phrase'],
  ['POST', '/api/identity/phrase/reveal'],
  ['GET', '/api/lock'],
  ['POST', '/api/unlock'],
  ['POST', '/api/lock'],
  ['POST', `/api/friends/${ID}/unfriend`],
  ['GET', '/api/friends/pending'],
  ['GET', '/api/friends/pairings-ended'],
  ['POST', `/api/friends/${ID}/confirm`],
  ['POST', `/api/friends/${ID}/reject`],
];

const COMPILED = RULES.map(([method, pattern]) => ({ method, re: new RegExp(`^${pattern}$`) }));

/** Whether a session may call `method path` (path without the query string). */
export function allowedRoute(method: string, path: string): boolean {
  if (path.includes('..') || path.includes('//')) return false;
  return COMPILED.some((r) => r.method === method && r.re.test(path));
}
