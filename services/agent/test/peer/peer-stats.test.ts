/**
 * The address a device dialed a peer at is what it tries first after a restart (peer-dialer.ts;
 * PeerRepository.linkUp). A link the peer dialed in says nothing about where the peer listens,
 * and must not erase that address: a restarted device that had not yet stored the peer's
 * signed address record would otherwise have no way back to it (seen as a stuck relay test,
 * services/agent/test/messaging/relay-held.test.ts, when two nodes had dialed each other at once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KithDatabase } from '@kith/db/database';
import {
  type TestDatabaseTarget,
  createTestDatabase,
  testDatabaseKinds,
} from '../../../../test/helpers/database.ts';
import { PeerRepository } from '../../src/repositories/peer-repository.ts';

describe.each(testDatabaseKinds())('peer link statistics on %s', (kind) => {
  let target: TestDatabaseTarget;
  let database: KithDatabase;
  let peers: PeerRepository;

  beforeAll(async () => {
    target = await createTestDatabase(kind);
    database = await target.open();
    await database.migrate();
    peers = new PeerRepository(database.db);
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await target?.dispose();
  });

  it('keeps the dialed address when the peer links in, and takes a newly dialed one', async () => {
    const peer = { deviceId: 'device-1', userId: 'user-1' };
    await peers.linkUp({ ...peer, at: 1_000, dialed: '192.0.2.1:7470' });
    await peers.linkUp({ ...peer, at: 2_000, dialed: undefined });
    const after = await peers.get(peer.deviceId);
    expect(after?.lastAddress).toBe('192.0.2.1:7470');
    expect(after?.lastConnectedAt?.getTime()).toBe(2_000);
    await peers.linkUp({ ...peer, at: 3_000, dialed: '192.0.2.2:7470' });
    expect((await peers.get(peer.deviceId))?.lastAddress).toBe('192.0.2.2:7470');
  });

  it('a first link the peer dialed in leaves no address', async () => {
    await peers.linkUp({ deviceId: 'device-2', userId: 'user-2', at: 1_000, dialed: undefined });
    expect((await peers.get('device-2'))?.lastAddress).toBeNull();
  });
});
