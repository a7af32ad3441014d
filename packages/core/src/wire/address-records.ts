import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/** Gossip of signed address records (address-record.ts); each is verified on receipt. */
export const AddressRecordsMessage = defineMessage('address-records', 1, 1024 * 1024, {
  records: Type.Array(Type.Uint8Array({ maxByteLength: 1200 }), { maxItems: 512 }),
});
