/** Archived transcripts: encoded for sealing, segments joined, and shown (archivist.ts). */
import { type Transcript, TranscriptFormat } from '@kith/core/archive/transcript';
import { toHex } from '@kith/core/crypto/index';
import type { TranscriptData } from './transcript-source.ts';

export { transcriptView } from '@kith/core/archive/archive-views';

/** sentAt of the transcript's first message; with none, its close (or last activity). */
export function firstMessageAt(t: TranscriptData, lastActivity: number): number {
  let first: number | undefined;
  for (const m of t.messages) if (first === undefined || m.sentAt < first) first = m.sentAt;
  return first ?? t.closedAt ?? lastActivity;
}

/**
 * Segments of one conversation (oldest first) as one transcript: the newest segment's title,
 * members and close; every message once (by id), ordered by sentAt; every event once.
 */
export function joinSegments(parts: Transcript[]): Transcript {
  const newest = parts[parts.length - 1]!;
  if (parts.length === 1) return newest;
  const messages = new Map<string, Transcript['messages'][number]>();
  const events = new Map<string, Uint8Array>();
  for (const p of parts) {
    for (const m of p.messages) if (!messages.has(m.id)) messages.set(m.id, m);
    for (const e of p.events ?? []) events.set(toHex(e), e);
  }
  const sorted = [...messages.values()].sort((a, b) => a.sentAt - b.sentAt || (a.id < b.id ? -1 : 1));
  return { ...newest, messages: sorted, ...(events.size > 0 ? { events: [...events.values()] } : {}) };
}

export function encodeTranscript(t: TranscriptData): Uint8Array {
  return TranscriptFormat.encode({
    v: 1,
    conversation: t.conversation,
    topic: t.topic,
    kind: t.kind,
    members: t.members,
    closedAt: t.closedAt,
    messages: t.messages,
    ...(t.events ? { events: t.events } : {}),
  });
}
