/**
 * Content ids of a conversation (docs/DESIGN.md §5 "ids are content hashes", §8). Each id is
 * SHA-256 over a labelled frame of the SIGNED BODY bytes (not of the signature), so the same
 * content always has the same id; ids are shown and passed around as lowercase hex, whose
 * string order is the byte order.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend, toHex } from '../crypto/index.ts';
import { frameWithLabel, HASH, type HashLabel } from '../labels.ts';

/** 64 lowercase hex characters. */
export type ConversationId = string;
/** 64 lowercase hex characters. */
export type EventId = string;

export const HEX_ID = /^[0-9a-f]{64}$/;

export function contentId(
  label: HashLabel,
  body: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): string {
  return toHex(backend.sha256(frameWithLabel(label, body)));
}

export const conversationIdOf = (genesisBody: Uint8Array, backend?: CryptoBackend): ConversationId =>
  contentId(HASH.CONVERSATION_ID, genesisBody, backend);

export const eventIdOf = (eventBody: Uint8Array, backend?: CryptoBackend): EventId =>
  contentId(HASH.CONVERSATION_EVENT_ID, eventBody, backend);

export const outcomeIdOf = (outcomeBody: Uint8Array, backend?: CryptoBackend): string =>
  contentId(HASH.CONVERSATION_OUTCOME_ID, outcomeBody, backend);

/** Byte order of two hex ids (equal-length lowercase hex compares like the bytes). */
export function compareHex(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
