/**
 * POST /api/rules/check: type-checks a custom consensus rule (CEL) without creating anything,
 * so the web UI can validate it as the person types (docs/API.md).
 */
import { ROUTES } from '@kith/api/routes';
import { compilePredicate } from '@kith/core/consensus/cel/predicate';
import { isKithError } from '@kith/core/errors';
import type { ApiPlugin } from '../context.ts';

export const ruleCheckRoutes: ApiPlugin = async (app) => {
  app.post(
    ROUTES.checkRule.path,
    {
      schema: {
        summary: 'Check a custom rule (CEL over the tally): { ok } or { ok: false, code, message }.',
        tags: ['conversations'],
        body: ROUTES.checkRule.body,
        response: { 200: ROUTES.checkRule.response },
      },
    },
    async (request) => {
      try {
        compilePredicate(request.body.rule);
        return { ok: true };
      } catch (e) {
        if (!isKithError(e)) throw e;
        return { ok: false, code: e.code, message: e.message };
      }
    },
  );
};
