/**
 * Web UI sign-in (docs/API.md "Web UI sessions"): codes, redeeming them, checking, listing and
 * revoking sessions. Behind the agent's token like every route: only the web part and the CLI
 * call these; a browser reaches them only through the web part.
 */
import Type from 'typebox';
import { CODE_TTL_MS, type WebSessions } from '../../web/web-sessions.ts';
import type { ApiPlugin } from '../context.ts';

const Session = Type.Object({
  id: Type.String(),
  createdAt: Type.String(),
  lastSeenAt: Type.String(),
  agent: Type.String(),
});

export function webSessionRoutes(sessions: WebSessions): ApiPlugin {
  return async (app) => {
    app.post(
      '/web/codes',
      {
        schema: {
          summary: 'A one-time sign-in code for the web UI (10 minutes by default).',
          tags: ['web'],
          body: Type.Optional(
            Type.Object(
              { ttlMs: Type.Optional(Type.Integer({ minimum: 10_000, maximum: CODE_TTL_MS * 6 })) },
              { additionalProperties: false },
            ),
          ),
          response: { 200: Type.Object({ code: Type.String(), expiresAt: Type.String() }) },
        },
      },
      async (request) => sessions.createCode((request.body as { ttlMs?: number } | undefined)?.ttlMs),
    );

    app.post(
      '/web/sessions',
      {
        schema: {
          summary: 'Redeem a sign-in code: a new session and its secret (the cookie value).',
          tags: ['web'],
          body: Type.Object(
            {
              code: Type.String({ minLength: 1, maxLength: 64 }),
              agent: Type.Optional(Type.String({ maxLength: 500 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ session: Session, secret: Type.String() }) },
        },
      },
      async (request) => {
        const body = request.body as { code: string; agent?: string };
        return sessions.redeem(body.code, body.agent ?? '');
      },
    );

    app.post(
      '/web/sessions/check',
      {
        schema: {
          summary: 'The session a secret belongs to (401 WEB_SESSION_INVALID otherwise).',
          tags: ['web'],
          body: Type.Object(
            { secret: Type.String({ minLength: 1, maxLength: 128 }) },
            { additionalProperties: false },
          ),
          response: { 200: Session },
        },
      },
      async (request) => sessions.check((request.body as { secret: string }).secret),
    );

    app.get(
      '/web/sessions',
      {
        schema: { summary: 'Signed-in web sessions.', tags: ['web'], response: { 200: Type.Array(Session) } },
      },
      async () => sessions.list(),
    );

    app.delete(
      '/web/sessions/:id',
      {
        schema: {
          summary: 'Revoke a web session: its cookie stops working at once.',
          tags: ['web'],
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        },
      },
      async (request) => {
        await sessions.revoke((request.params as { id: string }).id);
        return { revoked: true };
      },
    );
  };
}
