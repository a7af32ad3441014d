/**
 * `kith unfriend` / block (docs/API.md "Friends", docs/SECURITY.md "A friend turned hostile"):
 * the friendship ends, links to the user's devices close, their handshakes are refused from
 * then on (silence), and what we held for them is dropped. Two real agents in this process on
 * real PGlite and loopback links, driven through the local API.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayQueue } from '@kith/db/schema';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import { connectLink } from '../../src/link/connect.ts';
import type { RunningNode } from '../../src/node.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
/** Generous: nodes on PGlite start slowly on a busy machine. */
const WAIT_MS = 120_000;

describe('unfriend and block', () => {
  let a: RunningNode;
  let b: RunningNode;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-unfriend-');
    [a, b] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.91', { heartbeatMeanMs: 2000 }),
      startInProcessNode(join(dir, 'b'), '127.0.0.92', { heartbeatMeanMs: 2000 }),
    ]);
    await pairInProcess(a, b);
    await waitFor('A and B linked', async () => a.node.session(b.node.deviceId)?.ready, WAIT_MS);
  }, 4 * WAIT_MS);

  afterAll(async () => {
    await Promise.all([a, b].map((n) => n?.shutdown()));
  });

  it(
    'cuts the user off: no link, no delivery, nothing held for them',
    async () => {
      const userB = b.node.userId;
      const db = a.node.options.components.db.db;
      // Something A holds for B (store-and-forward).
      const now = Date.now();
      await db.insert(relayQueue).values({
        itemId: random(32),
        targetDevice: 'some-device-of-a-friend',
        ownerUser: userB,
        origin: b.node.deviceId,
        kind: 'message',
        item: random(100),
        size: 100,
        createdAt: new Date(now),
        expiresAt: new Date(now + 60_000),
      });

      const auth = { authorization: `Bearer ${a.agent.apiToken}` };
      const res = await a.agent.api.inject({
        method: 'POST',
        url: `/api/friends/${userB}/unfriend`,
        headers: auth,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ userId: userB, relayItemsDropped: 1 });
      expect(await a.node.friends.isFriend(userB)).toBe(false);
      expect(await a.node.friends.isBlocked(userB)).toBe(true);
      expect(await db.select().from(relayQueue).where(eq(relayQueue.ownerUser, userB))).toHaveLength(0);
      await waitFor('B sees A offline', async () => b.node.session(a.node.deviceId) === undefined, WAIT_MS);

      // B (still counting A a friend) writes to A, and dials A itself: A answers with silence.
      const sent = await b.messenger.sendText({ to: a.node.userId }, 'are you there?');
      await expect(
        connectLink({
          url: `ws://${a.node.ownAddresses()[0]}`,
          staticKeyPair: b.node.staticKeyPair,
          remoteStaticKey: a.node.staticKeyPair.publicKey,
          clock: Date.now,
          random,
          limits: { handshakeTimeoutMs: 3000 },
        }),
      ).rejects.toThrow();
      expect(a.node.session(b.node.deviceId)).toBeUndefined();
      expect((await a.messenger.list()).map((m) => m.id)).not.toContain(sent.id);

      // Unfriending again is fine (still blocked); an unknown user is refused.
      const again = await a.agent.api.inject({
        method: 'POST',
        url: `/api/friends/${userB}/unfriend`,
        headers: auth,
      });
      expect(again.statusCode).toBe(200);
      const unknown = await a.agent.api.inject({
        method: 'POST',
        url: `/api/friends/${'u'.repeat(20)}/unfriend`,
        headers: auth,
      });
      expect(unknown.json().error.code).toBe('NOT_A_FRIEND');
    },
    3 * WAIT_MS,
  );
});
