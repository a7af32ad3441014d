/**
 * Archived conversations (docs/ARCHITECTURE.md "Archive encryption and retrieval"): run a pass,
 * list the history, open an item, hand out an item's ciphertext (for the phrase fallback of
 * `kith archive get --phrase-file`, which opens it in the CLI). Opened transcripts hold what the
 * owner may read; they are served on the loopback API only and never logged.
 */
import { KithError } from '@kith/core/errors';
import Type from 'typebox';
import type { Archivist } from '../../archive/archivist.ts';
import type { ApiPlugin } from '../context.ts';

/** A blob id or topic hash (64 hex) or a conversation id. */
/** A 32-byte id in lower-case hex. */
const Hex32 = Type.String({ pattern: '^[0-9a-f]{64}$' });

const ItemId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });

const SyncReport = Type.Object({
  conversations: Type.Integer(),
  built: Type.Integer(),
  sealedCurrent: Type.Integer(),
  movedToHistory: Type.Integer(),
  unchanged: Type.Integer(),
  keptCurrent: Type.Integer(),
  failed: Type.Array(Type.Object({ topic: Type.String(), code: Type.String() })),
  activeList: Type.Union([Type.Object({ version: Type.Integer(), entries: Type.Integer() }), Type.Null()]),
  historyIndex: Type.Union([Type.Object({ version: Type.Integer(), entries: Type.Integer() }), Type.Null()]),
});

const HistoryItem = Type.Object({
  id: Type.String(),
  topic: Type.String(),
  conversation: Type.Union([Type.String(), Type.Null()]),
  closedAt: Type.String(),
  messages: Type.Integer(),
});

const Transcript = Type.Object({
  id: Type.String(),
  topic: Type.String(),
  archive: Type.Union([Type.Literal('current'), Type.Literal('history')]),
  conversation: Type.String(),
  title: Type.String(),
  kind: Type.Union([Type.Literal('direct'), Type.Literal('group')]),
  members: Type.Array(Type.String()),
  closedAt: Type.Union([Type.String(), Type.Null()]),
  messages: Type.Array(
    Type.Object({
      id: Type.String(),
      from: Type.String(),
      device: Type.String(),
      sentAt: Type.String(),
      text: Type.String(),
    }),
  ),
  events: Type.Integer(),
});

const idParam = (request: { params: unknown }): string => {
  const { id } = request.params as { id: string };
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id))
    throw new KithError('INVALID_INPUT', 'An archive id is hex or a conversation id.');
  return id;
};

export function archiveItemRoutes(archivist: Archivist): ApiPlugin {
  return async (app) => {
    app.post(
      '/archive/sync',
      {
        schema: {
          summary:
            'Run one archive pass now: seal changed conversations (current or history), update the sealed lists; returns what it did.',
          tags: ['archive'],
          body: Type.Optional(Type.Object({}, { additionalProperties: false })),
          response: { 200: SyncReport },
        },
      },
      async () => archivist.sync(),
    );
    app.get(
      '/archive/history',
      {
        schema: {
          summary: 'Conversations moved to history, from the sealed history index (newest first).',
          tags: ['archive'],
          response: { 200: Type.Array(HistoryItem) },
        },
      },
      async () => archivist.history(),
    );
    app.get(
      '/archive/items/:id',
      {
        schema: {
          summary:
            'Open an archived conversation (by blob id, topic hash or conversation id): fetched from a holder and opened with two key shares.',
          tags: ['archive'],
          params: Type.Object({ id: ItemId }),
          response: { 200: Transcript },
        },
      },
      async (request) => archivist.get(idParam(request)),
    );
    app.get(
      '/archive/blobs/:id',
      {
        schema: {
          summary:
            'The sealed bytes of an archived conversation (base64), for opening elsewhere with the recovery phrase; with the share a holder re-wrapped to this device when one answered.',
          tags: ['archive'],
          params: Type.Object({ id: ItemId }),
          response: {
            200: Type.Object({
              id: Type.String(),
              kind: Type.String(),
              ciphertext: Type.String(),
              share: Type.Optional(Type.String()),
            }),
          },
        },
      },
      async (request) => {
        const r = await archivist.ciphertextWithShare(idParam(request));
        return {
          id: r.id,
          kind: r.kind,
          ciphertext: Buffer.from(r.ciphertext).toString('base64'),
          ...(r.share ? { share: Buffer.from(r.share).toString('base64') } : {}),
        };
      },
    );
    app.get(
      '/archive/current',
      {
        schema: {
          summary:
            'Conversations archived as current, from the sealed active list (opened with a holder’s share).',
          tags: ['archive'],
          response: {
            200: Type.Array(
              Type.Object({
                id: Type.String(),
                topic: Type.String(),
                conversation: Type.Union([Type.String(), Type.Null()]),
                updatedAt: Type.String(),
              }),
            ),
          },
        },
      },
      async () => archivist.current(),
    );
    app.post(
      '/archive/indexes/:name/adopt',
      {
        schema: {
          summary:
            'Hand in the entries of a sealed list opened with the recovery phrase (by the CLI), so the next archive pass re-seals it to this device without dropping any entry.',
          tags: ['archive'],
          params: Type.Object({ name: Type.Union([Type.Literal('conversations'), Type.Literal('active')]) }),
          body: Type.Object(
            {
              version: Type.Integer({ minimum: 1 }),
              entries: Type.Array(
                Type.Object(
                  {
                    topic: Hex32,
                    blob: Hex32,
                    updatedAt: Type.Optional(Type.Integer({ minimum: 0 })),
                    closedAt: Type.Optional(Type.Integer({ minimum: 0 })),
                    /** History segment start (v2 index); absent or null: unknown (a v1 entry). */
                    from: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
                    messages: Type.Optional(Type.Integer({ minimum: 0 })),
                  },
                  { additionalProperties: false },
                ),
                { maxItems: 100_000 },
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ entries: Type.Integer() }) },
        },
      },
      async (request) => {
        const { name } = request.params as { name: 'conversations' | 'active' };
        const body = request.body as {
          version: number;
          entries: {
            topic: string;
            blob: string;
            updatedAt?: number;
            closedAt?: number;
            from?: number | null;
            messages?: number;
          }[];
        };
        if (name === 'active') {
          const entries = body.entries.map((e) => {
            if (e.updatedAt === undefined)
              throw new KithError('INVALID_INPUT', 'Each active-list entry needs updatedAt.');
            return { topic: e.topic, blob: e.blob, updatedAt: e.updatedAt };
          });
          return archivist.adopt(name, body.version, entries);
        }
        const entries = body.entries.map((e) => {
          if (e.closedAt === undefined || e.messages === undefined)
            throw new KithError('INVALID_INPUT', 'Each history-index entry needs closedAt and messages.');
          return {
            topic: e.topic,
            blob: e.blob,
            from: e.from ?? null,
            closedAt: e.closedAt,
            messages: e.messages,
          };
        });
        return archivist.adopt(name, body.version, entries);
      },
    );
    app.get(
      '/archive/indexes/:name',
      {
        schema: {
          summary:
            'A sealed list (base64, newest known version) — the history index, or the active list with a holder’s re-wrapped share — for opening with the recovery phrase.',
          tags: ['archive'],
          params: Type.Object({ name: Type.Union([Type.Literal('conversations'), Type.Literal('active')]) }),
          response: {
            200: Type.Object({
              name: Type.String(),
              version: Type.Integer(),
              ciphertext: Type.String(),
              share: Type.Optional(Type.String()),
            }),
          },
        },
      },
      async (request) => {
        const { name } = request.params as { name: 'conversations' | 'active' };
        const r = await archivist.indexCiphertext(name);
        return {
          name,
          version: r.version,
          ciphertext: Buffer.from(r.ciphertext).toString('base64'),
          ...(r.share ? { share: Buffer.from(r.share).toString('base64') } : {}),
        };
      },
    );
  };
}
