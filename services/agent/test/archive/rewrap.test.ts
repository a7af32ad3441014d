/**
 * Re-wrap after a revocation (docs/ARCHITECTURE.md "Re-wrap after a revocation"): user A has a
 * phone (index 0), an appliance (1) and a tablet (2), and a friend B. A's archive holds a history
 * segment (2-of-3: phone, appliance, recovery key), a current item (2-of-2: A's three devices,
 * B) and the friend bundle. A revokes the appliance: the current item and the bundle are sealed
 * anew to the phone and the tablet at the next pass; the history item waits (the phone's share
 * alone opens nothing) until the phrase gives the recovery key; then nothing waits, the
 * appliance's key opens none of the new items even with B's holder share or the recovery key,
 * and the phone and the tablet open them. Once the new items have their copies, the old ones
 * are deleted from every device that held them (`archive-drop`, superseded-drops.ts). Real links
 * on loopback, real PGlite; every pass is run by the test.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openTranscript } from '@kith/core/archive/archive-seal';
import { fromHex, toHex } from '@kith/core/crypto/index';
import { unwrapShares, verifyEnvelope } from '@kith/core/envelope';
import { isKithError } from '@kith/core/errors';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { createGenesis, verifyLog } from '@kith/core/identity/log';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { directConversationId } from '@kith/core/messaging/direct-conversation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { pairInProcess } from '../../../../test/helpers/in-process-node.ts';
import { createIdentity } from '../../src/keystore/create-identity.ts';
import { createKeystore } from '../../src/keystore/index.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
const DAY = 86_400_000;

function start(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '2000', logLevel: 'silent' },
    env: { KITH_PORT_WINDOWS: 'off', KITH_PORT_MAPPING: 'off' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
    // No timers: the test runs each repair and archive pass itself.
    archive: { scheduler: () => () => {}, graceMs: 3_600_000 },
    archivist: { scheduler: () => () => {}, debounceMs: 0, historyAfterMs: 30 * DAY },
  });
}

const hex = (b: Uint8Array) => toHex(b);
const recipientsOf = (bytes: Uint8Array) => verifyEnvelope(bytes).recipients.map(hex);

async function failsToOpen(bytes: Uint8Array, options: Parameters<typeof openTranscript>[1]) {
  const err = await openTranscript(bytes, options).catch((e: unknown) => e);
  return isKithError(err) && ['ENVELOPE_TOO_FEW_SHARES', 'ENVELOPE_WRONG_KEY'].includes(err.code);
}

describe('archive re-wrap after a revocation', () => {
  let phrase: string;
  let phone: RunningNode;
  let appliance: RunningNode;
  let tablet: RunningNode;
  let friend: RunningNode;
  let direct: string;
  const old: { current?: string; history?: string } = {};
  /** The devices (of the phone, the tablet and the friend) whose database holds blob `id` of A's. */
  const holdersOf = async (id: string) => {
    const out: string[] = [];
    for (const n of [phone, tablet, friend])
      if (await n.archive.blobs.has(phone.node.userId, fromHex(id))) out.push(n.node.deviceId);
    return out;
  };

  beforeAll(async () => {
    const dir = await makeTempDir('kith-archive-rewrap-');
    phrase = generatePhrase(random);
    const seed = phraseToSeed(phrase);
    const root = deriveRootKeys(seed);
    const names = ['phone', 'appliance', 'tablet'];
    const keys = names.map((_, i) => deriveDeviceKeys(seed, i));
    let log = verifyLog([createGenesis(root)]);
    for (const [i, name] of names.entries())
      log = enrolDevice(log, root, keys[i]!, { deviceName: name, now: Date.now() });
    for (const [i, name] of names.entries())
      await createKeystore({
        dataDir: join(dir, name),
        userId: root.userId,
        device: keys[i]!,
        logEntries: log.entries,
      });
    await createIdentity({ dataDir: join(dir, 'friend'), deviceName: 'friend', seed: random(64), random });
    [phone, appliance, tablet, friend] = await Promise.all([
      start(join(dir, 'phone'), '127.0.0.171'),
      start(join(dir, 'appliance'), '127.0.0.172'),
      start(join(dir, 'tablet'), '127.0.0.173'),
      start(join(dir, 'friend'), '127.0.0.174'),
    ]);
    for (const own of [appliance, tablet]) {
      await own.node.addresses.offer(phone.node.ownAddressRecord!);
      void own.node.dialDue();
    }
    await pairInProcess(phone, friend);
    await waitFor('the phone linked to its appliance, its tablet and the friend', async () =>
      [appliance, tablet, friend].every((n) => phone.node.session(n.node.deviceId) !== undefined),
    );
    direct = directConversationId(phone.node.userId, friend.node.userId);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([phone, appliance, tablet, friend].map((n) => n?.shutdown()));
  }, 120_000);

  it('before: a history segment and a current item, both sealed to the appliance; nothing waits', async () => {
    await phone.messenger.sendText({ to: friend.node.userId }, 'first');
    await friend.messenger.sendText({ to: phone.node.userId }, 'reply');
    await waitFor('the phone has B’s reply', async () => (await phone.messenger.list(direct)).length === 2);
    phone.archivist.options.historyAfterMs = 0;
    expect(await phone.archivist.sync()).toMatchObject({ movedToHistory: 1, failed: [] });
    phone.archivist.options.historyAfterMs = 30 * DAY;
    await phone.messenger.sendText({ to: friend.node.userId }, 'second');
    expect(await phone.archivist.sync()).toMatchObject({ sealedCurrent: 1, rewrapped: 0, failed: [] });
    await waitFor('every item has its copies', async () => {
      await phone.archive.repair();
      return (await phone.archive.status()).underReplicated === 0;
    });
    old.history = (await phone.archivist.history())[0]!.id;
    old.current = (await phone.archivist.current())[0]!.id;
    const applianceKey = hex(appliance.node.options.device.keys.agreement.publicKey);
    for (const id of [old.history, old.current])
      expect(recipientsOf((await phone.archivist.ciphertext(id)).ciphertext)).toContain(applianceKey);
    expect(phone.archivist.rewrapStatus()).toMatchObject({ waiting: 0, history: 0 });
    // The phone put both; the friend holds the current item's copy.
    expect(await holdersOf(old.current)).toEqual(
      expect.arrayContaining([phone.node.deviceId, friend.node.deviceId]),
    );
    expect(await holdersOf(old.history)).toContain(phone.node.deviceId);
  }, 120_000);

  it('after the revocation the next pass re-seals the current item and the bundle; history waits for the phrase', async () => {
    await phone.node.revokeDevice(appliance.node.deviceId, phrase);
    const report = await phone.archivist.sync();
    // The current item, and the friend bundle (t = 1, this device's key opens it) unless a
    // newer bundle replaced it in the same pass.
    expect(report.failed).toEqual([]);
    expect(report.rewrapped).toBeGreaterThanOrEqual(1);
    const { agent } = phone;
    const headers = { authorization: `Bearer ${agent.apiToken}` };
    const status = await agent.api.inject({ method: 'GET', url: '/api/archive/status', headers });
    expect(status.json()).toMatchObject({ rewrap: { waiting: 1, history: 1 } });

    const current = (await phone.archivist.current())[0]!.id;
    expect(current).not.toBe(old.current);
    const applianceKeys = appliance.node.options.device.keys.agreement;
    const fresh = (await phone.archivist.ciphertext(current)).ciphertext;
    expect(recipientsOf(fresh)).not.toContain(hex(applianceKeys.publicKey));
    expect(recipientsOf(fresh)).toContain(hex(tablet.node.options.device.keys.agreement.publicKey));
    // The holder's (B's) share of each: with it, the appliance's key opened the old item and
    // opens nothing of the new one.
    const friendKey = friend.node.options.device.keys.agreement;
    const stale = (await phone.archivist.ciphertext(old.current!)).ciphertext;
    const staleShare = (await unwrapShares(stale, friendKey))[0]!.share;
    const opened = await openTranscript(stale, { keys: [applianceKeys], shares: [staleShare] });
    expect(opened.transcript.messages).toHaveLength(3);
    const freshShare = (await unwrapShares(fresh, friendKey))[0]!.share;
    expect(await failsToOpen(fresh, { keys: [applianceKeys], shares: [freshShare] })).toBe(true);
    expect((await phone.archivist.get(current)).messages.map((m) => m.text)).toEqual([
      'first',
      'reply',
      'second',
    ]);
  }, 120_000);

  it('with the phrase (POST /api/archive/rewrap) history is sealed to the phone and the tablet; nothing waits', async () => {
    const { agent } = phone;
    const headers = { authorization: `Bearer ${agent.apiToken}` };
    const res = await agent.api.inject({
      method: 'POST',
      url: '/api/archive/rewrap',
      headers,
      payload: { phrase },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ rewrapped: 1, waiting: 0, history: 0 });
    const status = await agent.api.inject({ method: 'GET', url: '/api/archive/status', headers });
    expect(status.json()).toMatchObject({ rewrap: { waiting: 0, history: 0 } });

    const history = await phone.archivist.history();
    expect(history).toHaveLength(1);
    const id = history[0]!.id;
    expect(id).not.toBe(old.history);
    const fresh = (await phone.archivist.ciphertext(id)).ciphertext;
    const seed = phraseToSeed(phrase);
    const recovery = deriveRootKeys(seed).recovery;
    const applianceKeys = appliance.node.options.device.keys.agreement;
    expect(recipientsOf(fresh)).not.toContain(hex(applianceKeys.publicKey));
    // The old segment opened with the appliance's key and the recovery key; the new one does not.
    const stale = (await phone.archivist.ciphertext(old.history!)).ciphertext;
    expect(
      (await openTranscript(stale, { keys: [applianceKeys, recovery] })).transcript.messages,
    ).toHaveLength(2);
    expect(await failsToOpen(fresh, { keys: [applianceKeys, recovery] })).toBe(true);
    // The lists are sealed to today's devices too.
    for (const name of ['conversations', 'active'] as const) {
      const list = await phone.archivist.indexCiphertext(name);
      expect(recipientsOf(list.ciphertext)).not.toContain(hex(applianceKeys.publicKey));
    }
    // The remaining devices open it: the phone (X) and the tablet (Y, with the phone's share).
    expect((await phone.archivist.get(id)).messages.map((m) => m.text)).toEqual(['first', 'reply']);
    await waitFor('the tablet holds its copy', async () => {
      await phone.archive.repair();
      return (await phone.archive.status()).underReplicated === 0;
    });
    expect((await tablet.archivist.get(id)).messages.map((m) => m.text)).toEqual(['first', 'reply']);
  }, 120_000);

  it('passes after it change nothing more, on the phone and on the tablet', async () => {
    expect(await phone.archivist.sync()).toMatchObject({ rewrapped: 0, sealedCurrent: 0, movedToHistory: 0 });
    expect(phone.archivist.rewrapStatus()).toMatchObject({ waiting: 0 });
    expect(await tablet.archivist.sync()).toMatchObject({ rewrapped: 0 });
  }, 120_000);

  it('the old copies go: the phone, the tablet and the friend hold neither old item once the new ones have theirs', async () => {
    const holding = async () => [...(await holdersOf(old.current!)), ...(await holdersOf(old.history!))];
    // Repair passes: the new items get their copies, then the old ones are dropped where held
    // (the drop goes to a peer once its heartbeat announced the feature).
    await waitFor('no device keeps an old item', async () => {
      await phone.archive.repair();
      return (await holding()).length === 0;
    });
    expect(await phone.archive.superseded.pending()).toEqual(
      expect.arrayContaining([old.current, old.history]),
    );
    // The new items are still there, and open.
    expect((await phone.archivist.get((await phone.archivist.history())[0]!.id)).messages).toHaveLength(2);
  }, 120_000);

  it('revoking through the API starts the re-wrap; with one device left, history waits for a second', async () => {
    const { agent } = phone;
    const headers = { authorization: `Bearer ${agent.apiToken}` };
    const before = phone.archivist.rewrapStatus().lastPassAt;
    const res = await agent.api.inject({
      method: 'POST',
      url: '/api/devices/revoke',
      headers,
      payload: { deviceId: tablet.node.deviceId, phrase },
    });
    expect(res.statusCode).toBe(200);
    const status = await waitFor('the re-wrap pass ran', async () => {
      const s = (await agent.api.inject({ method: 'GET', url: '/api/archive/status', headers })).json() as {
        rewrap: { waiting: number; history: number; lastPassAt: string | null };
      };
      return s.rewrap.lastPassAt !== before ? s.rewrap : undefined;
    });
    // The current item and the bundle went to the phone alone; history needs two devices.
    expect(status).toMatchObject({ waiting: 1, history: 1 });
    await phone.archivist.sync(); // the lists of that pass are written
    const current = (await phone.archivist.current())[0]!.id;
    const fresh = (await phone.archivist.ciphertext(current)).ciphertext;
    expect(recipientsOf(fresh)).not.toContain(hex(tablet.node.options.device.keys.agreement.publicKey));
  }, 120_000);
});
