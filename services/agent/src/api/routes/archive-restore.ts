/**
 * Restoring the archive (archive/archive-restore.ts): start a run — with the phrase after a
 * recovery, typed into the web UI or read from a file by `kith archive restore` — and follow
 * it. The phrase is in the request body only: used in memory, never logged, never stored.
 */
import { ROUTES } from '@kith/api/routes';
import type { ArchiveRestore } from '../../archive/archive-restore.ts';
import type { ApiPlugin } from '../context.ts';

export function archiveRestoreRoutes(restore: ArchiveRestore): ApiPlugin {
  return async (app) => {
    app.post(
      ROUTES.restoreArchive.path,
      {
        schema: {
          summary:
            'Start restoring the archive: every archived conversation this device can open (with the phrase after a recovery, else with its own shares and a holder’s) is kept among its messages; with the phrase the archived friends come back too. Answers at once with the run’s state; events `archive.restore.progress`, `.done`, `.failed`.',
          tags: ['archive'],
          body: ROUTES.restoreArchive.body,
          response: { 200: ROUTES.restoreArchive.response },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return restore.start(request.body);
      },
    );
    app.get(
      ROUTES.restoreArchiveState.path,
      {
        schema: {
          summary: 'The archive restore in progress, or the last one with its report.',
          tags: ['archive'],
          response: { 200: ROUTES.restoreArchiveState.response },
        },
      },
      async () => restore.state(),
    );
  };
}
