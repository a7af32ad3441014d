/**
 * A friend paired but not confirmed is held apart (pending-friends.ts, docs/SECURITY.md "Pairing:
 * the six digits"): not a friend, nothing sent to them, their handshake not admitted; confirm
 * makes it active, reject forgets them. A reject or an expiry on one side is told to the other
 * over the pairing's link, which ends its pairing too and says why. In-process nodes over real
 * sockets.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKithError } from '@kith/core/errors';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { RunningNode } from '../../src/node.ts';

describe('pending friends', () => {
  let a: RunningNode;
  let b: RunningNode;
  let c: RunningNode;
  let d: RunningNode;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-pending-');
    [a, b] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.131', { heartbeatMeanMs: 2000 }),
      startInProcessNode(join(dir, 'b'), '127.0.0.132', { heartbeatMeanMs: 2000 }),
    ]);
    [c, d] = await Promise.all([
      startInProcessNode(join(dir, 'c'), '127.0.0.133', { heartbeatMeanMs: 2000 }),
      startInProcessNode(join(dir, 'd'), '127.0.0.134', { heartbeatMeanMs: 2000 }),
    ]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown(), c?.shutdown(), d?.shutdown()]);
  });

  const notPendingMessage = async (node: RunningNode, userId: string) => {
    try {
      await node.pairing.pending.confirm(userId);
    } catch (e) {
      if (isKithError(e, 'PAIRING_NOT_PENDING')) return e.message;
      throw e;
    }
    throw new Error('confirm went through');
  };

  it('after the handshake neither side is a friend; nothing is sent until both confirm', async () => {
    const invite = await a.pairing.createInvite({ role: 'friend' });
    const paired = await b.pairing.acceptFriend(invite.code);
    // Held as pending on both sides, with the same digits; not friends, not dialled.
    expect((await a.pairing.pending.list()).map((p) => [p.userId, p.sas, p.side])).toEqual([
      [b.node.userId, paired.sas, 'inviter'],
    ]);
    expect((await b.pairing.pending.list()).map((p) => [p.userId, p.side])).toEqual([
      [a.node.userId, 'acceptor'],
    ]);
    expect(await a.node.friends.isFriend(b.node.userId)).toBe(false);
    expect(await b.node.friends.isFriend(a.node.userId)).toBe(false);
    expect(await a.node.peers()).toEqual([]);
    let error: unknown;
    try {
      await b.messenger.sendText({ to: a.node.userId }, 'too early');
    } catch (e) {
      error = e;
    }
    expect(isKithError(error, 'NOT_A_FRIEND')).toBe(true);

    // B confirms and sends; A has not confirmed: the message waits, no link forms.
    await b.pairing.pending.confirm(a.node.userId);
    await b.messenger.sendText({ to: a.node.userId }, 'after the digits');
    expect(b.node.isOnline(a.node.deviceId)).toBe(false);
    // A confirms: they link and the message arrives.
    await a.pairing.pending.confirm(b.node.userId);
    await waitFor('the message reaches A', async () =>
      (await a.messenger.list()).some((m) => m.text === 'after the digits'),
    );
    expect(await a.pairing.pending.list()).toEqual([]);
  }, 120_000);

  it('a reject reaches the other side: its pairing ends too and says who rejected it', async () => {
    const invite = await c.pairing.createInvite({ role: 'friend' });
    const paired = await d.pairing.acceptFriend(invite.code);
    expect(await c.pairing.pending.get(d.node.userId)).toBeDefined();
    // C's person says the digits differ; D's pairing ends without D's person doing anything.
    await c.pairing.pending.reject(d.node.userId);
    await waitFor('D hears of the reject', async () => (await d.pairing.pending.list()).length === 0, 90_000);
    expect(await d.pairing.pending.ended()).toEqual([
      expect.objectContaining({ userId: c.node.userId, by: 'them', reason: 'rejected' }),
    ]);
    expect(await c.pairing.pending.ended()).toEqual([
      expect.objectContaining({ userId: d.node.userId, by: 'me', reason: 'rejected' }),
    ]);
    // D's person answers late: told who rejected, not a bare "not pending".
    expect(await notPendingMessage(d, paired.userId)).toMatch(/rejected the pairing at .* on their screen/);
    expect(await d.node.identity.state(c.node.userId)).toBeUndefined();
  }, 120_000);

  it('confirmed on one side and rejected on the other: the friendship ends on both', async () => {
    const invite = await c.pairing.createInvite({ role: 'friend' });
    const paired = await d.pairing.acceptFriend(invite.code);
    await d.pairing.pending.confirm(paired.userId);
    expect(await d.node.friends.isFriend(c.node.userId)).toBe(true);
    await c.pairing.pending.reject(d.node.userId);
    await waitFor(
      'D ends the friendship the pairing made',
      async () => !(await d.node.friends.isFriend(c.node.userId)),
      90_000,
    );
    expect((await d.pairing.pending.ended())[0]).toMatchObject({ userId: c.node.userId, by: 'them' });
  }, 120_000);

  it('a pairing not confirmed in time ends by itself, on both sides', async () => {
    d.pairing.pending.ttlMs = 4000;
    try {
      const invite = await c.pairing.createInvite({ role: 'friend' });
      await d.pairing.acceptFriend(invite.code);
      const held = await d.pairing.pending.get(c.node.userId);
      expect(Date.parse(held!.expiresAt) - Date.parse(held!.since)).toBe(4000);
      await waitFor('D ends it', async () => (await d.pairing.pending.list()).length === 0, 90_000);
      expect((await d.pairing.pending.ended())[0]).toMatchObject({ by: 'me', reason: 'expired' });
      // C's side (an hour to go) is told and ends too.
      await waitFor('C hears of it', async () => (await c.pairing.pending.list()).length === 0, 90_000);
      expect((await c.pairing.pending.ended())[0]).toMatchObject({
        userId: d.node.userId,
        by: 'them',
        reason: 'expired',
      });
      expect(await notPendingMessage(c, d.node.userId)).toMatch(/ran out on their side/);
    } finally {
      d.pairing.pending.ttlMs = 60 * 60_000;
    }
  }, 120_000);
});
