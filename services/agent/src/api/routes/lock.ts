/** Locking and unlocking the device keys (docs/API.md "Lock"; docs/SECURITY.md "Locked relay mode"). */
import Type from 'typebox';
import type { LockControl } from '../../lock-control.ts';
import type { ApiPlugin } from '../context.ts';

const LockState = Type.Object({
  locked: Type.Boolean({ description: 'Whether the device keys are closed (the node only relays).' }),
  kept: Type.Optional(Type.Integer({ description: 'Items kept while locked and read at this unlock.' })),
});

export function lockRoutes(control: LockControl): ApiPlugin {
  return async (app) => {
    app.get(
      '/lock',
      { schema: { summary: 'Whether the node is locked.', tags: ['agent'], response: { 200: LockState } } },
      async () => ({ locked: control.locked }),
    );
    app.post(
      '/unlock',
      {
        schema: {
          summary: 'Opens the device keys with the unlock passphrase: the node becomes an access device.',
          tags: ['agent'],
          body: Type.Object(
            { passphrase: Type.String({ minLength: 1, maxLength: 4096 }) },
            { additionalProperties: false },
          ),
          response: { 200: LockState },
        },
      },
      async (request) => control.unlock((request.body as { passphrase: string }).passphrase),
    );
    app.post(
      '/lock',
      {
        schema: {
          summary: 'Closes the device keys again: the node only relays until the next unlock.',
          tags: ['agent'],
          response: { 200: LockState },
        },
      },
      async () => control.lock(),
    );
  };
}
