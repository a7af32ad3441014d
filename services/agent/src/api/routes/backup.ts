/**
 * POST /api/backup: the running agent writes a backup of its keys and database (backup/backup.ts),
 * sealed under the passphrase in the body, as the response body. For `kith backup`.
 */
import { Readable } from 'node:stream';
import { ROUTES } from '@kith/api/routes';
import { writeBackup } from '../../backup/backup.ts';
import type { ApiPlugin } from '../context.ts';

export function backupRoutes(who: { userId: string; deviceId: string }): ApiPlugin {
  return async (app) => {
    app.post(
      ROUTES.backup.path,
      {
        schema: {
          summary:
            'A backup file (keys as stored + a consistent database dump), sealed under the passphrase given; streamed as application/octet-stream.',
          tags: ['agent'],
          body: ROUTES.backup.body,
        },
      },
      async (request, reply) => {
        const { config, db, random, clock } = app.kith;
        const stream = Readable.from(
          writeBackup({
            dataDir: config.dataDir,
            database: db,
            userId: who.userId,
            deviceId: who.deviceId,
            passphrase: request.body.passphrase,
            random,
            now: new Date(clock()),
          }),
        );
        stream.on('error', (err) => request.log.error({ err }, 'backup failed while streaming'));
        request.log.info('backup started');
        return reply
          .type('application/octet-stream')
          .header('content-disposition', 'attachment; filename="kith.backup"')
          .send(stream);
      },
    );
  };
}
