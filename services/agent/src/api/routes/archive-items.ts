/**
 * Archived conversations (docs/ARCHITECTURE.md "Archive encryption and retrieval"): run a pass,
 * list the history, open an item, hand out an item's ciphertext (for the phrase fallback of
 * `kith archive get --phrase-file`, which opens it in the CLI). Opened transcripts hold what the
 * owner may read; they are served on the loopback API only and never logged.
 */
import { KithError } from '@kith/core/errors';
import { ROUTES } from '@kith/api/routes';
import type { Archivist } from '../../archive/archivist.ts';
import type { ApiPlugin } from '../context.ts';

const idParam = (request: { params: unknown }): string => {
  const { id } = request.params as { id: string };
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id))
    throw new KithError('INVALID_INPUT', 'An archive id is hex or a conversation id.');
  return id;
};

export function archiveItemRoutes(archivist: Archivist): ApiPlugin {
  return async (app) => {
    app.post(
      ROUTES.rewrapArchive.path,
      {
        schema: {
          summary:
            'Run an archive pass with the recovery key from the phrase: items still sealed to a revoked device, history included, are sealed to today’s devices.',
          tags: ['archive'],
          body: ROUTES.rewrapArchive.body,
          response: { 200: ROUTES.rewrapArchive.response },
        },
      },
      async (request) => archivist.rewrap(request.body.phrase, request.body.bip39Passphrase),
    );
    app.post(
      ROUTES.syncArchive.path,
      {
        schema: {
          summary:
            'Run one archive pass now: seal changed conversations (current or history), update the sealed lists; returns what it did.',
          tags: ['archive'],
          body: ROUTES.syncArchive.body,
          response: { 200: ROUTES.syncArchive.response },
        },
      },
      async () => archivist.sync(),
    );
    app.get(
      ROUTES.archiveHistory.path,
      {
        schema: {
          summary: 'Conversations moved to history, from the sealed history index (newest first).',
          tags: ['archive'],
          response: { 200: ROUTES.archiveHistory.response },
        },
      },
      async () => archivist.history(),
    );
    app.get(
      ROUTES.archiveItem.path,
      {
        schema: {
          summary:
            'Open an archived conversation (by blob id, topic hash or conversation id): fetched from a holder and opened with two key shares.',
          tags: ['archive'],
          params: ROUTES.archiveItem.params,
          response: { 200: ROUTES.archiveItem.response },
        },
      },
      async (request) => archivist.get(idParam(request)),
    );
    app.get(
      ROUTES.archiveBlob.path,
      {
        schema: {
          summary:
            'The sealed bytes of an archived conversation (base64), for opening elsewhere with the recovery phrase; with the share a holder re-wrapped to this device when one answered.',
          tags: ['archive'],
          params: ROUTES.archiveBlob.params,
          response: { 200: ROUTES.archiveBlob.response },
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
      ROUTES.archiveCurrent.path,
      {
        schema: {
          summary:
            'Conversations archived as current, from the sealed active list (opened with a holder’s share).',
          tags: ['archive'],
          response: { 200: ROUTES.archiveCurrent.response },
        },
      },
      async () => archivist.current(),
    );
    app.post(
      ROUTES.adoptIndex.path,
      {
        schema: {
          summary:
            'Hand in the entries of a sealed list opened with the recovery phrase (by the CLI), so the next archive pass re-seals it to this device without dropping any entry.',
          tags: ['archive'],
          params: ROUTES.adoptIndex.params,
          body: ROUTES.adoptIndex.body,
          response: { 200: ROUTES.adoptIndex.response },
        },
      },
      async (request) => {
        const { name } = request.params;
        const body = request.body;
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
      ROUTES.archiveIndex.path,
      {
        schema: {
          summary:
            'A sealed list (base64, newest known version) — the history index, or the active list with a holder’s re-wrapped share — for opening with the recovery phrase.',
          tags: ['archive'],
          params: ROUTES.archiveIndex.params,
          response: { 200: ROUTES.archiveIndex.response },
        },
      },
      async (request) => {
        const { name } = request.params;
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
