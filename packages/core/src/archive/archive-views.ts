/**
 * How archived things are shown (the agent's API and the CLI reading with the phrase): one
 * transcript, and the segments of a history index, with ids and times as text.
 */
import { toHex } from '../crypto/index.ts';
import type { ActiveList } from './active-list.ts';
import { topicHash } from './archive-seal.ts';
import { type HistoryIndex, historySegments } from './history-index.ts';
import type { Transcript } from './transcript.ts';

export interface ArchivedTranscript {
  /** Blob id, hex. */
  id: string;
  topic: string;
  archive: 'current' | 'history';
  conversation: string;
  title: string;
  kind: 'direct' | 'group';
  members: string[];
  closedAt: string | null;
  messages: { id: string; from: string; device: string; sentAt: string; text: string }[];
  events: number;
}

export function transcriptView(
  blob: string,
  archive: 'current' | 'history',
  t: Transcript,
): ArchivedTranscript {
  return {
    id: blob,
    topic: toHex(topicHash(t.conversation)),
    archive,
    conversation: t.conversation,
    title: t.topic,
    kind: t.kind,
    members: [...t.members],
    closedAt: t.closedAt === null ? null : new Date(t.closedAt).toISOString(),
    messages: t.messages.map((m) => ({ ...m, sentAt: new Date(m.sentAt).toISOString() })),
    events: t.events?.length ?? 0,
  };
}

/** One segment of a history index, ids in hex (a v1 entry's start is unknown: `from: null`). */
export interface HistorySegmentRow {
  topic: string;
  blob: string;
  from: number | null;
  closedAt: number;
  messages: number;
}

export function historySegmentRows(index: HistoryIndex): HistorySegmentRow[] {
  return historySegments(index).map((e) => ({
    topic: toHex(e.topic),
    blob: toHex(e.blob),
    from: e.from,
    closedAt: e.closedAt,
    messages: e.messages,
  }));
}

/** One entry of an active list, ids in hex. */
export interface ActiveListRow {
  topic: string;
  blob: string;
  updatedAt: number;
}

export function activeListRows(list: ActiveList): ActiveListRow[] {
  return list.entries.map((e) => ({ topic: toHex(e.topic), blob: toHex(e.blob), updatedAt: e.updatedAt }));
}
