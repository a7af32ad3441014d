/**
 * Identity logs and the devices they list (docs/DESIGN.md §2, §4): ours and every friend's. A log is
 * only ever replaced by a copy that extends it (mergeLog refuses forks), and the devices table
 * is rebuilt from the verified log, so it never says more than a signed entry does.
 */
import { type LogState, entryHash, mergeLog, verifyLog } from '@kith/core/identity/log';
import { and, asc, eq } from 'drizzle-orm';
import { devices, identityLogEntries } from '@kith/db/schema';
import type { Clock } from '../components.ts';
import type { KithDb } from '@kith/db/database';

export type DeviceRow = typeof devices.$inferSelect;

export class IdentityRepository {
  constructor(
    private readonly db: KithDb,
    private readonly clock: Clock,
  ) {}

  async entries(userId: string): Promise<Uint8Array[]> {
    const rows = await this.db
      .select({ entry: identityLogEntries.entry })
      .from(identityLogEntries)
      .where(eq(identityLogEntries.userId, userId))
      .orderBy(asc(identityLogEntries.seq));
    return rows.map((r) => r.entry);
  }

  async state(userId: string): Promise<LogState | undefined> {
    const entries = await this.entries(userId);
    return entries.length ? verifyLog(entries) : undefined;
  }

  /**
   * Merges a received copy into ours (verifying it) and stores the result. Returns the merged
   * state and whether anything changed. Throws LOG_FORK / LOG_INVALID / DEVICE_REVOKED.
   */
  async merge(incoming: readonly Uint8Array[]): Promise<{ state: LogState; changed: boolean }> {
    const first = verifyLog(incoming);
    const known = await this.entries(first.userId);
    const state = mergeLog(known, incoming);
    const changed = state.entries.length > known.length;
    if (changed) await this.store(state, known.length);
    return { state, changed };
  }

  private async store(state: LogState, from: number): Promise<void> {
    const now = new Date(this.clock());
    await this.db.transaction(async (tx) => {
      const fresh = state.entries.slice(from).map((entry, i) => ({
        userId: state.userId,
        seq: from + i,
        entry,
        hash: entryHash(entry),
        receivedAt: now,
      }));
      if (fresh.length) await tx.insert(identityLogEntries).values(fresh).onConflictDoNothing();
      for (const record of state.devices.values()) {
        const c = record.certificate;
        const row = {
          deviceId: c.deviceId,
          userId: state.userId,
          deviceIndex: c.index,
          staticPublicKey: c.agreementKey,
          signingPublicKey: c.signingKey,
          certificate: c.bytes,
          status: record.status,
          addedAt: new Date(c.issuedAt),
          revokedAt: record.revokedAt === undefined ? null : new Date(record.revokedAt),
        };
        await tx
          .insert(devices)
          .values(row)
          .onConflictDoUpdate({
            target: devices.deviceId,
            set: { status: row.status, revokedAt: row.revokedAt },
          });
      }
    });
  }

  async devicesOf(userId: string): Promise<DeviceRow[]> {
    return this.db.select().from(devices).where(eq(devices.userId, userId)).orderBy(asc(devices.deviceIndex));
  }

  async allDevices(): Promise<DeviceRow[]> {
    return this.db.select().from(devices).orderBy(asc(devices.userId), asc(devices.deviceIndex));
  }

  async deviceByStaticKey(staticKey: Uint8Array): Promise<DeviceRow | undefined> {
    const rows = await this.db.select().from(devices).where(eq(devices.staticPublicKey, staticKey)).limit(1);
    return rows[0];
  }

  async deviceBySigningKey(signingKey: Uint8Array): Promise<DeviceRow | undefined> {
    const rows = await this.db
      .select()
      .from(devices)
      .where(eq(devices.signingPublicKey, signingKey))
      .limit(1);
    return rows[0];
  }

  async device(deviceId: string): Promise<DeviceRow | undefined> {
    const rows = await this.db.select().from(devices).where(eq(devices.deviceId, deviceId)).limit(1);
    return rows[0];
  }

  async activeDevice(userId: string, deviceId: string): Promise<DeviceRow | undefined> {
    const rows = await this.db
      .select()
      .from(devices)
      .where(and(eq(devices.userId, userId), eq(devices.deviceId, deviceId), eq(devices.status, 'active')))
      .limit(1);
    return rows[0];
  }
}
