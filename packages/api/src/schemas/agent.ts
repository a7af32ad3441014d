/** The agent itself: health, log level and the event stream (docs/API.md). */
import Type from 'typebox';

export const Health = Type.Object(
  {
    ok: Type.Boolean({ description: 'The agent runs and its database answers.' }),
    version: Type.String(),
    database: Type.Enum(['postgres', 'pglite']),
    locked: Type.Optional(
      Type.Boolean({
        description: 'A node only: its device keys are closed, it relays only (`kith unlock`).',
      }),
    ),
  },
  { title: 'Health' },
);

/** Log levels, most to least severe; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const LogLevel = Type.Object(
  { level: Type.Enum([...LOG_LEVELS]) },
  { additionalProperties: false, title: 'LogLevel' },
);

export const EventsQuery = Type.Object({ token: Type.Optional(Type.String()) });

/**
 * One frame of GET /api/events. Data is JSON-safe and never carries key material or plaintext:
 * ids, counts and states only. The first frame is `stream.ready`.
 */
export const AgentEvent = Type.Object({
  /** Dotted name, part first: `peer.online`, `message.received`, `invite.used`. */
  type: Type.String(),
  /** Clock time of publication, ms since the epoch. */
  at: Type.Number(),
  data: Type.Record(Type.String(), Type.Unknown()),
});
