/**
 * A friend's items count against that friend alone (issue #10 finding 3, docs/SECURITY.md
 * "Relay quotas"): four real nodes in this process. R relays for its friends F, G and T; T is
 * offline, so what F and G hand R for T is held. F is hostile: it parks items under G's name
 * (claiming G's device as origin) and replays items G really signed. Before the fix R charged
 * the claimed origin's user, never checked a signature, and G's own items were then refused.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { SigningKeyPair } from '@kith/core/identity/derive';
import { sealChatMessage } from '@kith/core/messaging/chat-message';
import { itemId } from '@kith/core/messaging/item-id';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages, relayQueue } from '@kith/db/schema';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { AgentEvent } from '../../src/event-bus.ts';
import type { RunningNode } from '../../src/node.ts';
import type { PeerSession } from '../../src/peer/peer-session.ts';

const KiB = 1024;
const random = (n: number) => new Uint8Array(randomBytes(n));

/** A chat message of about `size` bytes signed by `signer`. */
function item(signer: SigningKeyPair, size: number): Uint8Array {
  return sealChatMessage(
    {
      conv: 'relay-quota-test',
      epoch: random(16),
      epochKey: random(32),
      sender: signer,
      sentAt: Date.now(),
      body: { t: 'text', text: 'x'.repeat(size) },
    },
    random,
  );
}

describe('relay quotas', () => {
  let dir: string;
  let r: RunningNode;
  let f: RunningNode;
  let g: RunningNode;
  let t: RunningNode;
  let tDevice: string;
  const decisions: { type: string; data: Record<string, unknown> }[] = [];
  const dbOf = (x: RunningNode) => x.node.options.components.db.db;

  beforeAll(async () => {
    dir = await makeTempDir('kith-relay-quota-');
    [r, f, g, t] = await Promise.all([
      startInProcessNode(join(dir, 'r'), '127.0.0.2', {
        env: {
          KITH_RELAY_USER_QUOTA_BYTES: '40KiB',
          KITH_RELAY_QUOTA_BYTES: '60KiB',
          KITH_FRIEND_MESSAGE_BYTES_PER_DAY: '30KiB',
        },
      }),
      startInProcessNode(join(dir, 'f'), '127.0.0.3'),
      startInProcessNode(join(dir, 'g'), '127.0.0.4'),
      startInProcessNode(join(dir, 't'), '127.0.0.5'),
    ]);
    for (const x of [f, g, t]) await pairInProcess(r, x);
    await waitFor(
      'R linked to F, G and T',
      async () => [f, g, t].every((x) => r.node.session(x.node.deviceId) && x.node.session(r.node.deviceId)),
      180_000,
    );
    tDevice = t.node.deviceId;
    await t.shutdown();
    await waitFor('R sees T offline', async () => r.node.session(tDevice) === undefined);
    r.node.options.events.subscribe((e: AgentEvent) => {
      if (e.type === 'relay.held' || e.type === 'relay.refused')
        decisions.push({ type: e.type, data: e.data as Record<string, unknown> });
    });
  }, 600_000);

  afterAll(async () => {
    await Promise.all([r, f, g].map((x) => x?.shutdown()));
  }, 60_000);

  /** Hands R one item for T on `via`'s link and waits for R's decision. */
  async function handOver(via: RunningNode, bytes: Uint8Array, origin: string) {
    const before = decisions.length;
    const session: PeerSession = via.node.session(r.node.deviceId)!;
    session.send({ v: 1, t: 'deliver', kind: 'message', item: bytes, to: [tDevice], origin, hops: 0 });
    await waitFor('R decided', async () => decisions.length > before);
    return decisions[before]!;
  }
  const heldRows = () => dbOf(r).select().from(relayQueue);

  it('refuses an item whose claimed origin did not sign it', async () => {
    const forged = await handOver(f, item(f.node.options.device.keys.signing, 2 * KiB), g.node.deviceId);
    expect(forged).toMatchObject({ type: 'relay.refused', data: { code: 'MESSAGE_INVALID' } });
    expect(await heldRows()).toEqual([]);
  });

  it('charges a friend for what it hands over, even items another friend signed', async () => {
    const gSigning = g.node.options.device.keys.signing;
    // F replays items G really signed, then its own, until R refuses: all are F's.
    let refused = false;
    for (let i = 0; i < 30 && !refused; i++) {
      const signer = i % 2 === 0 ? gSigning : f.node.options.device.keys.signing;
      const origin = i % 2 === 0 ? g.node.deviceId : f.node.deviceId;
      const d = await handOver(f, item(signer, 4 * KiB), origin);
      refused = d.type === 'relay.refused';
      if (refused) expect(d.data).toMatchObject({ owner: f.node.userId, code: 'RELAY_QUOTA' });
    }
    expect(refused).toBe(true);
    const rows = await heldRows();
    expect(new Set(rows.map((row) => row.ownerUser))).toEqual(new Set([f.node.userId]));
    expect(rows.reduce((n, row) => n + row.size, 0)).toBeLessThanOrEqual(40 * KiB);
    // G's own item is held: F's flood did not spend G's quota.
    const own = await handOver(g, item(gSigning, 4 * KiB), g.node.deviceId);
    expect(own).toMatchObject({ type: 'relay.held', data: { owner: g.node.userId } });
  });

  it('keeps everything held for friends under the global cap', async () => {
    const gSigning = g.node.options.device.keys.signing;
    let refused: { data: Record<string, unknown> } | undefined;
    for (let i = 0; i < 30 && !refused; i++) {
      const d = await handOver(g, item(gSigning, 4 * KiB), g.node.deviceId);
      if (d.type === 'relay.refused') refused = d;
    }
    expect(refused?.data).toMatchObject({ owner: g.node.userId, code: 'RELAY_QUOTA' });
    const rows = await heldRows();
    const ofG = rows.filter((row) => row.ownerUser === g.node.userId).reduce((n, row) => n + row.size, 0);
    const all = rows.reduce((n, row) => n + row.size, 0);
    // Refused by the global cap (60 KiB), while G alone was still under its 40 KiB.
    expect(all).toBeLessThanOrEqual(60 * KiB);
    expect(ofG).toBeLessThanOrEqual(40 * KiB - 4 * KiB);
  });

  it('stores no more of one friend’s messages per day than its allowance', async () => {
    const refusals: string[] = [];
    f.node.options.events.subscribe((e: AgentEvent) => {
      if (e.type === 'relay.refused' && e.data.code === 'MESSAGE_QUOTA') refusals.push(String(e.data.by));
    });
    const toR = f.node.session(r.node.deviceId)!;
    const fSigning = f.node.options.device.keys.signing;
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 12; i++) {
      const bytes = item(fSigning, 4 * KiB);
      sent.push(itemId(bytes));
      toR.send({
        v: 1,
        t: 'deliver',
        kind: 'message',
        item: bytes,
        to: [r.node.deviceId],
        origin: f.node.deviceId,
        hops: 0,
      });
    }
    await waitFor('R refused the messages past F’s allowance', async () => refusals.length > 0);
    const stored = () => dbOf(r).select().from(messages).where(eq(messages.senderUser, f.node.userId));
    await waitFor('R decided on all twelve', async () => (await stored()).length + refusals.length >= 12);
    const kept = await stored();
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.reduce((n, m) => n + m.item.length, 0)).toBeLessThanOrEqual(30 * KiB);
  });
});
