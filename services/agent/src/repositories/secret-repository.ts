import { eq, like } from 'drizzle-orm';
import { secrets } from '@kith/db/schema';
import type { KithDb } from '@kith/db/database';

/** Named small secrets, sealed by their owner before they come here (peer/sealed-box.ts). */
export class SecretRepository {
  constructor(private readonly db: KithDb) {}

  async get(name: string): Promise<Uint8Array | undefined> {
    const [row] = await this.db.select().from(secrets).where(eq(secrets.name, name)).limit(1);
    return row?.ciphertext;
  }

  /** Every secret whose name starts with `prefix` (a fixed prefix: no wildcards in it). */
  async byPrefix(prefix: string): Promise<{ name: string; ciphertext: Uint8Array }[]> {
    return this.db
      .select({ name: secrets.name, ciphertext: secrets.ciphertext })
      .from(secrets)
      .where(like(secrets.name, `${prefix}%`));
  }

  async put(name: string, ciphertext: Uint8Array, updatedAt: Date): Promise<void> {
    await this.db
      .insert(secrets)
      .values({ name, ciphertext, updatedAt })
      .onConflictDoUpdate({ target: secrets.name, set: { ciphertext, updatedAt } });
  }
}
