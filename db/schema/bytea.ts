import { customType } from 'drizzle-orm/pg-core';

/**
 * `bytea` as a plain `Uint8Array` on both drivers (docs/DESIGN.md §9: ciphertext lives in bytea).
 * postgres.js hands back a Node `Buffer` and PGlite a `Uint8Array`; both are copied into a
 * plain `Uint8Array` so callers compare and hash the same type whatever the database.
 */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType() {
    return 'bytea';
  },
  toDriver(value: Uint8Array): Uint8Array {
    return value;
  },
  fromDriver(value: Uint8Array): Uint8Array {
    return new Uint8Array(value);
  },
});
