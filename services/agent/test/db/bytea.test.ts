import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devices, secrets } from '@kith/db/schema';
import {
  createTestDatabase,
  type TestDatabaseTarget,
  testDatabaseKinds,
} from '../../../../test/helpers/database.ts';
import type { KithDatabase } from '@kith/db/database';

for (const kind of testDatabaseKinds()) {
  describe(`bytea on ${kind}`, () => {
    let target: TestDatabaseTarget;
    let database: KithDatabase;
    beforeAll(async () => {
      target = await createTestDatabase(kind);
      database = await target.open();
      await database.migrate();
    });
    afterAll(async () => {
      await database?.close();
      await target?.dispose();
    });

    async function roundTrip(name: string, bytes: Uint8Array): Promise<Uint8Array> {
      const at = new Date(0);
      await database.db
        .insert(secrets)
        .values({ name, ciphertext: bytes, updatedAt: at })
        .onConflictDoUpdate({ target: secrets.name, set: { ciphertext: bytes, updatedAt: at } });
      const [row] = await database.db.select().from(secrets).where(eq(secrets.name, name));
      return row!.ciphertext;
    }

    it('returns a plain Uint8Array with the same bytes (empty, zeros, all byte values, 1 MiB)', async () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 31) & 0xff);
      for (const [name, bytes] of [
        ['empty', new Uint8Array(0)],
        ['zeros', new Uint8Array(7)],
        ['all', all],
        ['big', big],
      ] as const) {
        const back = await roundTrip(name, bytes);
        expect(back.constructor).toBe(Uint8Array);
        // Buffer.compare: vitest's deep equality walks a 1 MiB array element by element.
        expect(back.length).toBe(bytes.length);
        expect(Buffer.compare(back, bytes)).toBe(0);
      }
    });

    it('round-trips any byte string (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
          const back = await roundTrip('prop', bytes);
          expect(back.constructor).toBe(Uint8Array);
          expect(back).toEqual(bytes);
        }),
        { numRuns: 60 },
      );
    });

    it('a subarray view is stored as exactly its own bytes', async () => {
      const backing = Uint8Array.from({ length: 64 }, (_, i) => i);
      const view = backing.subarray(10, 20);
      expect(await roundTrip('view', view)).toEqual(Uint8Array.from({ length: 10 }, (_, i) => i + 10));
    });

    it('keys in a table with a unique index compare by bytes', async () => {
      const key = Uint8Array.from({ length: 32 }, (_, i) => i);
      await database.db.insert(devices).values({
        deviceId: 'D1',
        userId: 'U1',
        deviceIndex: 0,
        staticPublicKey: key,
        signingPublicKey: key,
        addedAt: new Date(1000),
      });
      const [row] = await database.db.select().from(devices).where(eq(devices.staticPublicKey, key));
      expect(row?.deviceId).toBe('D1');
      expect(row?.status).toBe('active');
      expect(row?.addedAt.getTime()).toBe(1000);
    });
  });
}
