/**
 * The seed phrase of an identity made on a first start without a terminal (docs/API.md
 * "Identity", docs/SECURITY.md "Keys at rest"): it waits, sealed, in DATA/pending-phrase until
 * shown once, by the web UI's onboarding or `kith phrase --reveal`. Revealing erases it.
 */
import { ROUTES } from '@kith/api/routes';
import { hasPendingPhrase, takePendingPhrase, type UnlockedDevice } from '../../keystore/index.ts';
import type { ApiPlugin } from '../context.ts';

export function identityPhraseRoutes(dataDir: string, device: UnlockedDevice): ApiPlugin {
  return async (app) => {
    app.get(
      ROUTES.phraseStatus.path,
      {
        schema: {
          summary: 'Whether a new identity’s seed phrase waits to be shown once.',
          tags: ['identity'],
          response: { 200: ROUTES.phraseStatus.response },
        },
      },
      async () => ({ pending: await hasPendingPhrase(dataDir) }),
    );
    app.post(
      ROUTES.revealPhrase.path,
      {
        schema: {
          summary: 'Returns the waiting seed phrase once and erases it (PHRASE_NOT_PENDING after).',
          tags: ['identity'],
          response: { 200: ROUTES.revealPhrase.response },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'no-store');
        return { phrase: await takePendingPhrase(dataDir, device) };
      },
    );
  };
}
