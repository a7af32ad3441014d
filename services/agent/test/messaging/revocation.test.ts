/**
 * The messenger's directory cache is dropped on revocation (ARCHITECTURE "Messaging
 * performance"): friend B has a phone and an appliance, A is B's friend. Once A has used its
 * cache for both (messages to both, one from the appliance), B revokes the appliance; from the
 * moment A learns of it, A's new messages are not made for the appliance (new epoch without
 * it) and items signed by the appliance are refused. Real links on loopback, real PGlite.
 */
import { randomBytes } from 'node:crypto';
import { sealChatMessage } from '@kith/core/messaging/chat-message';
import { directConversationId } from '@kith/core/messaging/direct-conversation';
import { itemId } from '@kith/core/messaging/item-id';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages, outbox } from '@kith/db/schema';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import {
  startInProcessNode,
  startPhoneApplianceAndFriend,
} from '../../../../test/helpers/in-process-node.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';
import type { PeerSession } from '../../src/peer/peer-session.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

function start(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '300', logLevel: 'silent' },
    env: { KITH_PORT_WINDOWS: 'off' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
  });
}

describe('messaging after a revocation', () => {
  let phrase: string;
  let phone: RunningNode;
  let appliance: RunningNode;
  let a: RunningNode;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-msg-revoke-');
    ({
      phrase,
      phone,
      appliance,
      friend: a,
    } = await startPhoneApplianceAndFriend({
      dir,
      hosts: ['127.0.0.5', '127.0.0.6', '127.0.0.7'],
      start,
      startFriend: (d, host) => startInProcessNode(d, host),
    }));
    await waitFor(
      'A linked to B’s appliance too',
      async () => a.node.session(appliance.node.deviceId) !== undefined,
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([phone?.shutdown(), appliance?.shutdown(), a?.shutdown()]);
  }, 60_000);

  /** A message sealed with the appliance's keys, as its messenger would, delivered to A via the phone's link. */
  async function fromAppliance(text: string): Promise<Uint8Array> {
    const conv = directConversationId(a.node.userId, phone.node.userId);
    const item = sealChatMessage(
      {
        conv,
        epoch: random(16),
        epochKey: random(32),
        sender: appliance.node.options.device.keys.signing,
        sentAt: Date.now(),
        body: { t: 'text', text },
      },
      random,
    );
    await a.messenger.onDeliver(a.node.session(phone.node.deviceId) as PeerSession, {
      v: 1,
      t: 'deliver',
      kind: 'message',
      item,
      to: [a.node.deviceId],
      origin: appliance.node.deviceId,
      hops: 0,
    });
    return itemId(item);
  }

  const stored = async (id: Uint8Array) =>
    (
      await a.node.options.components.db.db
        .select({ id: messages.id })
        .from(messages)
        .where(eq(messages.id, id))
    ).length === 1;
  const targetsOf = async (id: string) =>
    (
      await a.node.options.components.db.db
        .select({ target: outbox.targetDevice })
        .from(outbox)
        .where(eq(outbox.itemId, Buffer.from(id, 'hex')))
    ).map((r) => r.target);

  it('a revoked device gets no new messages and its items are refused', async () => {
    // Warm A's caches: a message to both devices, an item from the appliance.
    const before = await a.messenger.sendText({ to: phone.node.userId }, 'to both');
    await waitFor('both devices have it', async () =>
      (await Promise.all([phone, appliance].map(async (n) => (await n.messenger.list()).length === 1))).every(
        Boolean,
      ),
    );
    expect(await stored(await fromAppliance('before the revocation'))).toBe(true);

    await phone.node.revokeDevice(appliance.node.deviceId, phrase);
    await waitFor(
      'A learned of the revocation',
      async () => (await a.node.identity.device(appliance.node.deviceId))?.status === 'revoked',
    );

    const after = await a.messenger.sendText({ to: phone.node.userId }, 'to the phone only');
    // Made for the phone alone: a row for the appliance would stay (nothing can confirm it).
    const targets = await targetsOf(after.id);
    expect(targets).not.toContain(appliance.node.deviceId);
    await waitFor('the phone has it', async () =>
      (await phone.messenger.list()).some((m) => m.text === 'to the phone only'),
    );
    // The phone's receipt follows its commit: wait for it rather than race it.
    await waitFor('A has the phone’s receipt', async () =>
      (await a.messenger.list()).some((m) => m.id === after.id && m.delivered.length > 0),
    );
    const mine = await a.messenger.list();
    expect(mine.find((m) => m.id === after.id)?.delivered).toEqual([phone.node.deviceId]);
    expect(mine.find((m) => m.id === before.id)?.delivered.sort()).toEqual(
      [phone.node.deviceId, appliance.node.deviceId].sort(),
    );

    expect(await stored(await fromAppliance('after the revocation'))).toBe(false);
  }, 90_000);
});
