/**
 * Web UI sign-in (docs/API.md "Web UI sessions"): codes, redeeming them, checking, listing and
 * revoking sessions. Behind the agent's token like every route: only the web part and the CLI
 * call these; a browser reaches them only through the web part.
 */
import { ROUTES } from '@kith/api/routes';
import type { WebSessions } from '../../web/web-sessions.ts';
import type { ApiPlugin } from '../context.ts';

export function webSessionRoutes(sessions: WebSessions): ApiPlugin {
  return async (app) => {
    app.post(
      ROUTES.createWebCode.path,
      {
        schema: {
          summary: 'A one-time sign-in code for the web UI (10 minutes by default).',
          tags: ['web'],
          body: ROUTES.createWebCode.body,
          response: { 200: ROUTES.createWebCode.response },
        },
      },
      async (request) => sessions.createCode(request.body?.ttlMs),
    );

    app.post(
      ROUTES.redeemWebCode.path,
      {
        schema: {
          summary: 'Redeem a sign-in code: a new session and its secret (the cookie value).',
          tags: ['web'],
          body: ROUTES.redeemWebCode.body,
          response: { 200: ROUTES.redeemWebCode.response },
        },
      },
      async (request) => {
        return sessions.redeem(request.body.code, request.body.agent ?? '');
      },
    );

    app.post(
      ROUTES.checkWebSession.path,
      {
        schema: {
          summary: 'The session a secret belongs to (401 WEB_SESSION_INVALID otherwise).',
          tags: ['web'],
          body: ROUTES.checkWebSession.body,
          response: { 200: ROUTES.checkWebSession.response },
        },
      },
      async (request) => sessions.check(request.body.secret),
    );

    app.get(
      ROUTES.webSessions.path,
      {
        schema: {
          summary: 'Signed-in web sessions.',
          tags: ['web'],
          response: { 200: ROUTES.webSessions.response },
        },
      },
      async () => sessions.list(),
    );

    app.delete(
      ROUTES.revokeWebSession.path,
      {
        schema: {
          summary: 'Revoke a web session: its cookie stops working at once.',
          tags: ['web'],
          params: ROUTES.revokeWebSession.params,
          response: { 200: ROUTES.revokeWebSession.response },
        },
      },
      async (request) => {
        await sessions.revoke(request.params.id);
        return { revoked: true };
      },
    );
  };
}
