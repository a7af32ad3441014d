/**
 * A used invite keeps no keys and an expired one no secret (docs/SECURITY.md "Pairing"): a device
 * invite's sealed box holds the new device's private keys, so on use it shrinks to the link secret
 * alone (so a second use is told INVITE_USED), and the row is emptied when it expires, and on
 * start for rows that expired while the agent was down. Real PGlite, real links.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { decodeCanonical } from '@kith/core/codec';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invites } from '@kith/db/schema';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';
import { enrolFromInvite } from '../../src/peer/enrol-from-invite.ts';
import { openBox } from '../../src/peer/sealed-box.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

describe('invite rows keep no secret after use or expiry', () => {
  let dir: string;
  let phrase: string;
  let node: RunningNode;

  const host = '127.0.0.61';
  const restart = () =>
    runNode({
      flags: { data: join(dir, 'a'), host, peerPort: '0', apiPort: '0', logLevel: 'silent' },
      env: { KITH_PORT_WINDOWS: 'off' },
      handleSignals: false,
      logger: createLogger({ level: 'silent' }),
    });
  const row = async (id: string) =>
    (await node.node.options.components.db.db.select().from(invites).where(eq(invites.id, id)))[0]!;

  beforeAll(async () => {
    dir = await makeTempDir('kith-invite-wipe-');
    phrase = generatePhrase(random);
    node = await startInProcessNode(join(dir, 'a'), host, { seed: phraseToSeed(phrase) });
  }, 60_000);

  afterAll(async () => {
    await node.shutdown();
  });

  it('a used device invite no longer holds the new device’s keys', async () => {
    const invite = await node.pairing.createInvite({ role: 'device', phrase });
    expect((await row(invite.id)).secretSealed.length).toBeGreaterThan(0);
    const enrolled = await enrolFromInvite({ code: invite.code, dataDir: join(dir, 'new-device') });
    expect(enrolled.userId).toBe(node.node.userId);
    const used = await row(invite.id);
    expect(used.usedAt).not.toBeNull();
    // Only the link secret stays until expiry (so a second use hears INVITE_USED), never the keys.
    const kept = decodeCanonical(
      openBox(node.node.options.device.storageKey, 'invite', used.secretSealed),
    ) as unknown as { secret: Uint8Array; enrol: Uint8Array | null };
    expect(kept.enrol).toBeNull();
    expect(kept.secret).toHaveLength(16);
    expect(Object.keys(kept).sort()).toEqual(['baseLength', 'enrol', 'secret']);
    expect((await node.pairing.status(invite.id)).used).toBe(true);
  }, 60_000);

  it('an invite is wiped when it expires, and on start if it expired meanwhile', async () => {
    const db = node.node.options.components.db.db;
    const running = await node.pairing.createInvite({ role: 'device', phrase, ttlMs: 10_000 });
    // Its expiry moved to now: the wipe scheduled for the earliest expiry takes it.
    await db.update(invites).set({ expiresAt: new Date() }).where(eq(invites.id, running.id));
    await node.pairing.createInvite({ role: 'friend' }); // reschedules against the moved expiry
    await waitFor('the expired invite wiped', async () => (await row(running.id)).secretSealed.length === 0);

    // Expired while the agent was down: wiped as it starts.
    const downtime = await node.pairing.createInvite({ role: 'device', phrase });
    await db
      .update(invites)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(invites.id, downtime.id));
    await node.pairing.stop();
    expect((await row(downtime.id)).secretSealed.length).toBeGreaterThan(0);
    await node.shutdown();
    node = await restart();
    expect((await row(downtime.id)).secretSealed.length).toBe(0);
    expect((await row(downtime.id)).usedAt).toBeNull();
  }, 60_000);
});
