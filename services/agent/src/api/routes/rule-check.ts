/**
 * POST /api/rules/check: type-checks a custom consensus rule (CEL) without creating anything,
 * so the web UI can validate it as the person types (docs/API.md).
 */
import { compilePredicate } from '@kith/core/consensus/cel/predicate';
import { isKithError } from '@kith/core/errors';
import Type from 'typebox';
import type { ApiPlugin } from '../context.ts';

export const ruleCheckRoutes: ApiPlugin = async (app) => {
  app.post(
    '/rules/check',
    {
      schema: {
        summary: 'Check a custom rule (CEL over the tally): { ok } or { ok: false, code, message }.',
        tags: ['conversations'],
        body: Type.Object({ rule: Type.String({ maxLength: 8192 }) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      try {
        compilePredicate((request.body as { rule: string }).rule);
        return { ok: true };
      } catch (e) {
        if (!isKithError(e)) throw e;
        return { ok: false, code: e.code, message: e.message };
      }
    },
  );
};
