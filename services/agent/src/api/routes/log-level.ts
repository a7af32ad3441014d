import { ROUTES } from '@kith/api/routes';
import type { LogLevel } from '../../logger.ts';
import type { ApiPlugin } from '../context.ts';
import { ErrorBody } from '../errors.ts';

/** GET/PUT /api/log-level: read or change the running agent's log level without a restart. */
export const logLevelRoutes: ApiPlugin = async (app) => {
  app.get(
    ROUTES.getLogLevel.path,
    {
      schema: {
        summary: 'The current log level.',
        tags: ['agent'],
        response: { 200: ROUTES.getLogLevel.response },
      },
    },
    async () => ({ level: app.kith.logger.level as LogLevel }),
  );
  app.put(
    ROUTES.setLogLevel.path,
    {
      schema: {
        summary: 'Change the log level until the next restart.',
        tags: ['agent'],
        body: ROUTES.setLogLevel.body,
        response: { 200: ROUTES.setLogLevel.response, 400: ErrorBody },
      },
    },
    async (request) => {
      app.kith.logger.level = request.body.level;
      return { level: request.body.level };
    },
  );
};
