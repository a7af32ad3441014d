/**
 * Medium-tier fixtures for conversations: people with real identity logs (root-signed device
 * certificates), and nodes = a ConversationService on its own real database (PGlite or
 * Postgres) with the identity and friends repositories filled as pairing would leave them.
 * Items a node publishes are collected (MemorySync) and handed to other nodes by the test,
 * in whatever order the test chooses — the messaging layer's job, done by hand.
 */
import { randomBytes } from 'node:crypto';
import { setDefaultBackend } from '@kith/core/crypto/index';
import { nativeBackend } from '@kith/core/crypto/native';
import { type DeviceKeys, deriveDeviceKeys, deriveRootKeys, type RootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { createGenesis as createIdentityGenesis, type LogState, verifyLog } from '@kith/core/identity/log';
import {
  createTestDatabase,
  type TestDatabaseKind,
  type TestDatabaseTarget,
} from '../../../../test/helpers/database.ts';
import { repositoryDirectory } from '../../src/conversations/device-directory.ts';
import { ConversationService } from '../../src/conversations/service.ts';
import type { ConversationItemKind, ConversationSync } from '../../src/conversations/sync.ts';
import type { KithDatabase } from '../../src/database.ts';
import { EventBus } from '../../src/event-bus.ts';
import { createLogger } from '../../src/logger.ts';
import { FriendRepository } from '../../src/repositories/friend-repository.ts';
import { IdentityRepository } from '../../src/repositories/identity-repository.ts';

// Signatures dominate: node:crypto (checked against noble in the crypto tests).
setDefaultBackend(nativeBackend);

export const T0 = 1_800_000_000_000;

export interface Person {
  name: string;
  userId: string;
  root: RootKeys;
  seed: Uint8Array;
  devices: DeviceKeys[];
  log: LogState;
}

export function person(name: string): Person {
  const seed = new Uint8Array(randomBytes(64));
  const root = deriveRootKeys(seed);
  const device = deriveDeviceKeys(seed, 0);
  const log = enrolDevice(verifyLog([createIdentityGenesis(root)]), root, device, {
    deviceName: `${name}-0`,
    userName: name,
    now: T0 - 60_000,
  });
  return { name, userId: root.userId, root, seed, devices: [device], log };
}

/** Enrols the person's next device (a new identity log entry). */
export function addDevice(p: Person): DeviceKeys {
  const device = deriveDeviceKeys(p.seed, p.devices.length);
  p.log = enrolDevice(p.log, p.root, device, { deviceName: `${p.name}-${p.devices.length}`, now: T0 - 1000 });
  p.devices.push(device);
  return device;
}

export interface PublishedItem {
  conversationId: string;
  members: string[];
  kind: ConversationItemKind;
  bytes: Uint8Array;
}

/** A ConversationSync that keeps what was published, for the test to deliver. */
export class MemorySync implements ConversationSync {
  readonly items: PublishedItem[] = [];
  async publish(conversationId: string, members: string[], kind: ConversationItemKind, bytes: Uint8Array) {
    this.items.push({ conversationId, members, kind, bytes });
  }
  of(conversationId: string): PublishedItem[] {
    return this.items.filter((i) => i.conversationId === conversationId);
  }
}

export class Clock {
  constructor(public now = T0) {}
  readonly read = () => this.now;
  advance(ms: number) {
    this.now += ms;
  }
}

export interface TestNode {
  person: Person;
  device: DeviceKeys;
  service: ConversationService;
  sync: MemorySync;
  events: EventBus;
  identity: IdentityRepository;
  friends: FriendRepository;
  database: KithDatabase;
  target: TestDatabaseTarget;
  storageKey: Uint8Array;
  clock: Clock;
  /** A new service on the same database and keys (a restart). */
  restart(): Promise<ConversationService>;
  close(): Promise<void>;
}

export async function makeNode(
  kind: TestDatabaseKind,
  me: Person,
  friends: Person[],
  options: { clock?: Clock; deviceIndex?: number } = {},
): Promise<TestNode> {
  const clock = options.clock ?? new Clock();
  const target = await createTestDatabase(kind);
  const database = await target.open();
  await database.migrate();
  const identity = new IdentityRepository(database.db, clock.read);
  const friendRepo = new FriendRepository(database.db, clock.read);
  await identity.merge(me.log.entries);
  for (const f of friends) {
    await identity.merge(f.log.entries);
    await friendRepo.add(f.userId, f.name);
  }
  const device = me.devices[options.deviceIndex ?? 0]!;
  const storageKey = new Uint8Array(randomBytes(32));
  const events = new EventBus({ clock: clock.read });
  const sync = new MemorySync();
  const build = () =>
    new ConversationService({
      db: database.db,
      userId: me.userId,
      device: device.signing,
      storageKey,
      directory: repositoryDirectory(identity, friendRepo),
      sync,
      events,
      clock: clock.read,
      random: (n) => new Uint8Array(randomBytes(n)),
      logger: createLogger({ level: 'silent' }),
    });
  let service = build();
  await service.start();
  const node: TestNode = {
    person: me,
    device,
    service,
    sync,
    events,
    identity,
    friends: friendRepo,
    database,
    target,
    storageKey,
    clock,
    async restart() {
      await service.stop();
      service = build();
      await service.start();
      node.service = service;
      return service;
    },
    async close() {
      await service.stop();
      await database.close();
      await target.dispose();
    },
  };
  return node;
}

/** Delivers items to a node as the messaging layer would, from the given user. */
export async function deliver(to: TestNode, items: readonly PublishedItem[], fromUserId: string) {
  const reports = [];
  for (const item of items) reports.push(await to.service.receive(item.kind, item.bytes, fromUserId));
  return reports;
}

/** A seeded shuffle (test-only, deterministic per seed). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
