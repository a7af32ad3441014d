/**
 * The seed phrase of an identity made on a first start without a terminal (docs/API.md
 * "Identity", docs/SECURITY.md "Keys at rest"): it waits, sealed, in DATA/pending-phrase until
 * shown once, by the web UI's onboarding or `kith phrase --reveal`. Revealing erases it.
 */
import Type from 'typebox';
import { hasPendingPhrase, takePendingPhrase, type UnlockedDevice } from '../../keystore/index.ts';
import type { ApiPlugin } from '../context.ts';

export function identityPhraseRoutes(dataDir: string, device: UnlockedDevice): ApiPlugin {
  return async (app) => {
    app.get(
      '/identity/phrase',
      {
        schema: {
          summary: 'Whether a new identity’s seed phrase waits to be shown once.',
          tags: ['identity'],
          response: { 200: Type.Object({ pending: Type.Boolean() }) },
        },
      },
      async () => ({ pending: await hasPendingPhrase(dataDir) }),
    );
    app.post(
      '/identity/phrase/reveal',
      {
        schema: {
          summary: 'Returns the waiting seed phrase once and erases it (PHRASE_NOT_PENDING after).',
          tags: ['identity'],
          response: { 200: Type.Object({ phrase: Type.String() }) },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'no-store');
        return { phrase: await takePendingPhrase(dataDir, device) };
      },
    );
  };
}
