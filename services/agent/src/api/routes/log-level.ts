import Type from 'typebox';
import { LOG_LEVELS } from '../../logger.ts';
import type { ApiPlugin } from '../context.ts';
import { ErrorBody } from '../errors.ts';

const LogLevel = Type.Object(
  { level: Type.Enum([...LOG_LEVELS]) },
  { additionalProperties: false, title: 'LogLevel' },
);

/** GET/PUT /api/log-level: read or change the running agent's log level without a restart. */
export const logLevelRoutes: ApiPlugin = async (app) => {
  app.get(
    '/log-level',
    { schema: { summary: 'The current log level.', tags: ['agent'], response: { 200: LogLevel } } },
    async () => ({ level: app.kith.logger.level as (typeof LOG_LEVELS)[number] }),
  );
  app.put(
    '/log-level',
    {
      schema: {
        summary: 'Change the log level until the next restart.',
        tags: ['agent'],
        body: LogLevel,
        response: { 200: LogLevel, 400: ErrorBody },
      },
    },
    async (request) => {
      app.kith.logger.level = request.body.level;
      return { level: request.body.level };
    },
  );
};
