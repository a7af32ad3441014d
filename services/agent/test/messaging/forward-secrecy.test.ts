/**
 * Forward secrecy (docs/SECURITY.md "Forward secrecy"), with real keys, real PGlite data dirs
 * and real links on loopback; time on the secrecy schedule moves by an injected clock.
 *
 * Ana (A) writes to Ben (B); everything delivered to B is recorded as a relay or a wiretap
 * would hold it. B's whole data dir (key file, erasure keys, database) is copied at time T, as a
 * thief would take it, and B's database rows of the first epoch are kept as the dead tuples,
 * WAL or backups of a database may keep them. With all that, the thief opens no message of an
 * epoch that ended more than the schedule before T, nor any message after B's next prekey
 * rotation; B itself still reads every message it stored.
 */
import { randomBytes } from 'node:crypto';
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { constantTimeEqual } from '@kith/core/crypto/index';
import { openEpochKey } from '@kith/core/messaging/epoch-key';
import { verifyEnvelope } from '@kith/core/envelope';
import { devicePrekeys, epochKeys, peerPrekeys } from '@kith/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Captured, containsBytes, thiefOpens, wiretap } from './thief.ts';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import {
  createTestDatabase,
  makeTempDir,
  type TestDatabaseTarget,
  testDatabaseKinds,
} from '../../../../test/helpers/database.ts';
import { pairInProcess } from '../../../../test/helpers/in-process-node.ts';
import { createIdentity } from '../../src/keystore/create-identity.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';

const DAY = 24 * 60 * 60 * 1000;
const random = (n: number) => new Uint8Array(randomBytes(n));
const WAIT = 90_000;

/** The secrecy schedule's clock, shared by both nodes: tests move it, links keep real time. */
let now = Date.now();
const clock = () => now;

function start(dir: string, host: string, databaseUrl: string | undefined): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '2000', logLevel: 'silent' },
    env: { KITH_PORT_WINDOWS: 'off', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
    secrecy: { clock },
  });
}

describe.each(testDatabaseKinds())('forward secrecy of messages (%s)', (kind) => {
  // Postgres: each node's database is a fresh one on the server, not in its data dir.
  const databases: TestDatabaseTarget[] = [];
  const urls: Record<string, string | undefined> = {};
  let dir: string;
  let a: RunningNode;
  let b: RunningNode;
  const captured: Captured[] = [];

  beforeAll(async () => {
    now = Date.now();
    dir = await makeTempDir('kith-fs-');
    if (kind === 'postgres') {
      for (const name of ['a', 'b']) {
        const target = await createTestDatabase('postgres');
        databases.push(target);
        urls[name] = target.databaseUrl;
      }
    }
    for (const name of ['a', 'b'])
      await createIdentity({ dataDir: join(dir, name), deviceName: name, seed: random(64), random });
    [a, b] = await Promise.all([
      start(join(dir, 'a'), '127.0.0.21', urls.a),
      start(join(dir, 'b'), '127.0.0.22', urls.b),
    ]);
    wiretap(b, captured);
    await pairInProcess(a, b);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown()]);
    for (const d of databases) await d.dispose();
  }, 60_000);

  /** A holds B's newest prekey (the one B made last). */
  async function aHoldsNewestPrekeyOf(n: RunningNode): Promise<Uint8Array> {
    const [newest] = await n.node.options.components.db.db
      .select()
      .from(devicePrekeys)
      .orderBy(devicePrekeys.createdAt)
      .then((rows) => rows.reverse());
    return waitFor(
      'A holds B’s newest prekey',
      async () => {
        const [row] = await a.node.options.components.db.db
          .select()
          .from(peerPrekeys)
          .where(eq(peerPrekeys.deviceId, n.node.deviceId));
        return row && constantTimeEqual(row.publicKey, newest!.publicKey) ? row.publicKey : undefined;
      },
      WAIT,
    );
  }

  async function send(text: string): Promise<void> {
    await a.messenger.sendText({ to: b.node.userId }, text);
    await waitFor(
      'B has the message',
      async () => (await b.messenger.list()).some((m) => m.text === text),
      WAIT,
    );
  }

  it('a data dir taken at T opens no epoch older than the schedule, nor any after the next rotation', async () => {
    const t0 = now;
    const p1 = await aHoldsNewestPrekeyOf(b);
    await send('m1 in the first epoch');
    // The epoch key went to B's prekey, not to its long-term agreement key.
    const envelopes = captured.filter((c) => c.kind === 'epoch-key').map((c) => verifyEnvelope(c.item));
    expect(envelopes).toHaveLength(1);
    expect(envelopes[0]!.recipients.map((k) => Buffer.from(k).toString('hex'))).toEqual([
      Buffer.from(p1).toString('hex'),
    ]);
    expect(
      envelopes[0]!.recipients.some((k) =>
        constantTimeEqual(k, b.node.options.device.keys.agreement.publicKey),
      ),
    ).toBe(false);
    // What copies of the database may keep after the rows go (dead tuples, WAL, backups).
    const bDb = b.node.options.components.db.db;
    const oldRows = {
      epochs: await bDb.select().from(epochKeys),
      prekeys: await bDb.select().from(devicePrekeys),
    };
    const firstEnvelope = captured.find((c) => c.kind === 'epoch-key')!.item;
    const firstEpochKey = (await openEpochKey(firstEnvelope, await b.messenger.prekeys.privateKeys())).key;
    const firstPrekeyPrivate = (await b.messenger.prekeys.privateKeys())[0]!.privateKey;

    // Day 8: B's prekey is due; A's next message starts a new epoch under the new one.
    now = t0 + 8 * DAY;
    expect((await b.messenger.secrecySweep()).prekeyMade).toBe(true);
    await aHoldsNewestPrekeyOf(b);
    await send('m2 in the second epoch');

    // Day 31: the first epoch's key and the prekey it came under are past the schedule.
    now = t0 + 31 * DAY;
    const swept = await b.messenger.secrecySweep();
    expect(swept.epochsErased).toBeGreaterThanOrEqual(2);
    expect(swept.prekeysErased).toBe(1);
    expect(swept.bucketsErased).toBeGreaterThan(0);
    await aHoldsNewestPrekeyOf(b);
    expect(await bDb.select().from(epochKeys)).toHaveLength(0);

    // T: the thief copies B's whole data dir (and, on Postgres, dumps B's database).
    oldRows.epochs.push(...(await bDb.select().from(epochKeys)));
    oldRows.prekeys.push(...(await bDb.select().from(devicePrekeys)));
    await b.shutdown();
    const copy = join(dir, 'stolen');
    await cp(join(dir, 'b'), copy, { recursive: true });
    await rm(join(copy, 'db.lock'), { force: true });
    b = await start(join(dir, 'b'), '127.0.0.22', urls.b);
    wiretap(b, captured);
    await waitFor('A and B linked again', async () => a.node.session(b.node.deviceId) !== undefined, WAIT);

    // After T, B rotates its prekey; A's next epoch goes to the new one.
    now = t0 + 38 * DAY;
    expect((await b.messenger.secrecySweep()).prekeyMade).toBe(true);
    await aHoldsNewestPrekeyOf(b);
    await send('m3 after the next rotation');

    // The thief also reads the database as it is now: rows made after T open nothing either.
    const texts = await thiefOpens(copy, captured, oldRows, urls.b);
    expect(texts.has('m1 in the first epoch')).toBe(false);
    expect(texts.has('m3 after the next rotation')).toBe(false);
    // The bound is the schedule: m2's epoch came under a prekey B still held at T.
    expect(texts.has('m2 in the second epoch')).toBe(true);
    // Nothing of the first epoch lies anywhere in the copy in the clear.
    expect(await containsBytes(copy, firstEpochKey)).toBe(false);
    expect(await containsBytes(copy, firstPrekeyPrivate)).toBe(false);

    // B reads everything it stored: erased epochs' messages under its storage key.
    expect((await b.messenger.list()).map((m) => m.text)).toEqual([
      'm1 in the first epoch',
      'm2 in the second epoch',
      'm3 after the next rotation',
    ]);
  }, 300_000);
});
