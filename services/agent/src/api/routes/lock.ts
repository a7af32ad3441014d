/** Locking and unlocking the device keys (docs/API.md "Lock"; docs/SECURITY.md "Locked relay mode"). */
import { ROUTES } from '@kith/api/routes';
import type { LockControl } from '../../lock-control.ts';
import type { ApiPlugin } from '../context.ts';

export function lockRoutes(control: LockControl): ApiPlugin {
  return async (app) => {
    app.get(
      ROUTES.lockState.path,
      {
        schema: {
          summary: 'Whether the node is locked.',
          tags: ['agent'],
          response: { 200: ROUTES.lockState.response },
        },
      },
      async () => ({ locked: control.locked }),
    );
    app.post(
      ROUTES.unlock.path,
      {
        schema: {
          summary: 'Opens the device keys with the unlock passphrase: the node becomes an access device.',
          tags: ['agent'],
          body: ROUTES.unlock.body,
          response: { 200: ROUTES.unlock.response },
        },
      },
      async (request) => control.unlock(request.body.passphrase),
    );
    app.post(
      ROUTES.lock.path,
      {
        schema: {
          summary: 'Closes the device keys again: the node only relays until the next unlock.',
          tags: ['agent'],
          response: { 200: ROUTES.lock.response },
        },
      },
      async () => control.lock(),
    );
  };
}
