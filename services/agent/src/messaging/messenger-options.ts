/** The messenger's settings and the shapes it hands out (messenger.ts). */
import type { SecrecySchedule } from './secrecy-schedule.ts';

export interface MessengerOptions {
  relayEnabled: boolean;
  /** Ciphertext held for all friends together, bytes (relay-hold.ts). */
  totalQuotaBytes: number;
  /** Ciphertext held per user (the one whose link handed it over), bytes and items. */
  userQuotaBytes: number;
  userQuotaItems: number;
  /** Bytes of items one friend may have this device store per day (friend-allowance.ts). */
  friendBytesPerDay: number;
  /** Held items expire after this long. */
  holdMs: number;
  /** How often undelivered items are retried and expired ones dropped. */
  pumpMs: number;
  /** Forward-secrecy schedule and its clock (secrecy-schedule.ts); defaults when absent. */
  secrecy?: Partial<SecrecySchedule>;
}

export const DEFAULT_MESSENGER_OPTIONS: MessengerOptions = {
  relayEnabled: true,
  totalQuotaBytes: 1024 * 1024 * 1024,
  userQuotaBytes: 256 * 1024 * 1024,
  userQuotaItems: 50_000,
  friendBytesPerDay: 256 * 1024 * 1024,
  holdMs: 14 * 24 * 60 * 60 * 1000,
  pumpMs: 2000,
};

export interface MessageView {
  id: string;
  conversation: string;
  from: string;
  fromDevice: string;
  text: string;
  sentAt: string;
  receivedAt: string;
  delivered: string[];
  relayed: string[];
}

export type ConversationItemHandler = (
  kind: 'genesis' | 'event' | 'outcome',
  bytes: Uint8Array,
  fromUserId: string,
) => Promise<void>;

/** Most items one transaction carries (group commit, both sides). */
export const BATCH_MAX = 500;
