import { EventsQuery } from '@kith/api/schemas/agent';
import type { AgentEvent } from '../../event-bus.ts';
import { corkUntilNextTick } from '../../socket-cork.ts';
import type { ApiPlugin } from '../context.ts';

/** A client that lets this much pile up unread is dropped rather than buffered without end. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * GET /api/events (WebSocket): every event published on the agent's bus, one JSON text frame
 * each (`{ type, at, data }`). The first frame is `stream.ready`, sent once the socket is
 * subscribed, so a client knows from when on it misses nothing.
 */
export const eventRoutes: ApiPlugin = async (app) => {
  app.get(
    '/events',
    {
      websocket: true,
      config: { tokenInQuery: true },
      schema: {
        summary: 'WebSocket stream of agent events (token as bearer header or ?token=).',
        tags: ['agent'],
        querystring: EventsQuery,
      },
    },
    (socket) => {
      const { events, clock } = app.kith;
      const send = (event: AgentEvent) => {
        if (socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          socket.close(1013, 'event stream client too slow');
          return;
        }
        // A batch's events (one group commit's message.received) leave in one write.
        corkUntilNextTick(socket);
        socket.send(JSON.stringify(event));
      };
      const unsubscribe = events.subscribe(send);
      socket.on('close', unsubscribe);
      socket.on('error', unsubscribe);
      send({ type: 'stream.ready', at: clock(), data: {} });
    },
  );
};
