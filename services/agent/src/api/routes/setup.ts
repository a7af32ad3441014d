/**
 * Setup mode routes (docs/API.md "Setup"; docs/DESIGN.md "Setup mode"). A node waiting for its
 * owner serves them with an IdentitySetup; a running node serves them too, so a page can ask
 * where the node is: GET answers `ready`, each step SETUP_DONE.
 */
import { ROUTES } from '@kith/api/routes';
import { BACKUP_PASSPHRASE_HEADER } from '@kith/api/schemas/control';
import { KithError } from '@kith/core/errors';
import { IdentitySetup } from '../../setup/identity-setup.ts';
import type { ApiPlugin } from '../context.ts';

/** A backup is one device's database: far below this; anything larger is not one. */
const MAX_BACKUP_BYTES = 4 * 1024 ** 3;

export function setupRoutes(
  setup: IdentitySetup | { readonly userId: string; readonly deviceId: string },
): ApiPlugin {
  const waiting = setup instanceof IdentitySetup ? setup : undefined;
  const ready = setup instanceof IdentitySetup ? undefined : setup;
  const refuse = () => {
    throw new KithError('SETUP_DONE');
  };
  return async (app) => {
    // While waiting, every other route names what to do instead of a bare 404.
    if (waiting)
      app.route({
        method: ['GET', 'POST', 'PUT', 'DELETE'],
        url: '/*',
        schema: { hide: true },
        handler: async () => {
          throw new KithError('SETUP_WAITING');
        },
      });
    app.get(
      ROUTES.setupState.path,
      {
        schema: {
          summary: 'Whether the node waits for its owner to set it up (setup mode) or runs.',
          tags: ['setup'],
          response: { 200: ROUTES.setupState.response },
        },
      },
      async () =>
        waiting
          ? waiting.state
          : { state: 'ready' as const, userId: ready!.userId, deviceId: ready!.deviceId },
    );
    // After a successful step the answer goes out first; then the full node takes the API's place.
    const thenFinish = waiting
      ? (reply: { raw: { once(e: 'finish' | 'close', f: () => void): unknown } }) => {
          reply.raw.once('close', () => waiting.finish());
        }
      : () => {};
    app.post(
      ROUTES.setupCreate.path,
      {
        schema: {
          summary: 'Setup: a new identity; its phrase waits sealed until the onboarding shows it once.',
          tags: ['setup'],
          body: ROUTES.setupCreate.body,
          response: { 200: ROUTES.setupCreate.response },
        },
      },
      async (request, reply) => {
        if (!waiting) return refuse();
        const r = await waiting.create(request.body);
        thenFinish(reply);
        return r;
      },
    );
    app.post(
      ROUTES.setupEnrol.path,
      {
        schema: {
          summary: 'Setup: this node becomes one of the inviter’s devices (a device invite).',
          tags: ['setup'],
          body: ROUTES.setupEnrol.body,
          response: { 200: ROUTES.setupEnrol.response },
        },
      },
      async (request, reply) => {
        if (!waiting) return refuse();
        const r = await waiting.enrol(request.body);
        thenFinish(reply);
        return r;
      },
    );
    app.post(
      ROUTES.setupRecover.path,
      {
        schema: {
          summary: 'Setup: recover from the seed phrase with a friend’s invite.',
          tags: ['setup'],
          body: ROUTES.setupRecover.body,
          response: { 200: ROUTES.setupRecover.response },
        },
      },
      async (request, reply) => {
        if (!waiting) return refuse();
        reply.header('cache-control', 'no-store');
        const r = await waiting.recover(request.body);
        thenFinish(reply);
        return r;
      },
    );
    // The backup file is the body, streamed into the database as it arrives (never held whole).
    app.addContentTypeParser(
      'application/octet-stream',
      { bodyLimit: MAX_BACKUP_BYTES },
      (_request, payload, done) => done(null, payload),
    );
    app.post(
      ROUTES.setupRestore.path,
      {
        bodyLimit: MAX_BACKUP_BYTES,
        schema: {
          summary: 'Setup: bring back a backup (`kith restore`): the sealed file as the body.',
          tags: ['setup'],
          response: { 200: ROUTES.setupRestore.response },
        },
      },
      async (request, reply) => {
        if (!waiting) return refuse();
        const header = request.headers[BACKUP_PASSPHRASE_HEADER];
        const passphrase =
          typeof header === 'string' ? Buffer.from(header, 'base64url').toString('utf8') : '';
        if (passphrase.length === 0 || passphrase.length > 1024)
          throw new KithError('INVALID_INPUT', 'Give the backup passphrase (1 to 1024 characters).');
        if (request.headers['content-type'] !== 'application/octet-stream')
          throw new KithError('INVALID_INPUT', 'Send the backup file as application/octet-stream.');
        const r = await waiting.restore(request.body as AsyncIterable<Uint8Array>, passphrase);
        thenFinish(reply);
        return r;
      },
    );
  };
}
