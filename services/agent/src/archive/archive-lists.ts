/**
 * The archive's two lists as this device merges them (archivist.ts): the active list (one entry
 * per topic) and the history index (segments per topic). Pure functions, so every device
 * converges on the same lists.
 */
export type ListedActive = { topic: string; blob: string; updatedAt: number };
/** A list as fetched: its entries, or `unreadable` when this device is not among its recipients. */
export type ListRead<T> = { version: number; unreadable: boolean; entries: T[] };
/** A history segment; `from` (sentAt of its first message) is null for a v1 entry (start unknown). */
export type ListedHistory = {
  topic: string;
  blob: string;
  from: number | null;
  closedAt: number;
  messages: number;
};

export const byTopic = (a: { topic: string }, b: { topic: string }) => (a.topic < b.topic ? -1 : 1);
export const byTopicBlob = (a: ListedHistory, b: ListedHistory) =>
  a.topic === b.topic ? (a.blob < b.blob ? -1 : 1) : a.topic < b.topic ? -1 : 1;

/** Per topic the newest entry wins (ties: the larger blob id, so every device picks the same). */
export function mergeActive(...lists: ListedActive[][]): Map<string, ListedActive> {
  const out = new Map<string, ListedActive>();
  for (const e of lists.flat()) {
    const have = out.get(e.topic);
    if (!have || e.updatedAt > have.updatedAt || (e.updatedAt === have.updatedAt && e.blob > have.blob))
      out.set(e.topic, e);
  }
  return out;
}

/**
 * A covers B (same topic) when its range and count hold B's: A.from <= B.from, A.closedAt >=
 * B.closedAt, A.messages >= B.messages. A v1 entry (from null: start unknown) covers, and is
 * covered by, only an entry of the same blob — it is never dropped for another.
 */
function covers(a: ListedHistory, b: ListedHistory): boolean {
  if (a.blob === b.blob) return true;
  if (a.topic !== b.topic || a.from === null || b.from === null) return false;
  return a.from <= b.from && a.closedAt >= b.closedAt && a.messages >= b.messages;
}

/**
 * History segments by blob id: every segment no other segment of its topic covers (of two that
 * cover each other, the larger blob id stays), so every device converges on the same set and an
 * old segment a newer transcript lacks stays listed (docs/ARCHITECTURE.md "Archiving conversations").
 */
export function mergeHistory(...lists: ListedHistory[][]): Map<string, ListedHistory> {
  const byTopicMap = new Map<string, Map<string, ListedHistory>>();
  for (const raw of lists.flat()) {
    const e = { ...raw, from: raw.from ?? null };
    let topic = byTopicMap.get(e.topic);
    if (!topic) {
      topic = new Map();
      byTopicMap.set(e.topic, topic);
    }
    const have = topic.get(e.blob);
    // One blob, one content: keep a known start over an unknown one.
    if (!have || (have.from === null && e.from !== null)) topic.set(e.blob, e);
  }
  const out = new Map<string, ListedHistory>();
  for (const topic of byTopicMap.values()) {
    const all = [...topic.values()];
    for (const e of all) {
      const dropped = all.some((o) => o !== e && covers(o, e) && (!covers(e, o) || o.blob > e.blob));
      if (!dropped) out.set(e.blob, e);
    }
  }
  return out;
}

export function segmentsOf(history: Map<string, ListedHistory>, topic: string): ListedHistory[] {
  return [...history.values()].filter((e) => e.topic === topic);
}

export function sameSegments(list: ListedHistory[], map: Map<string, ListedHistory>): boolean {
  return list.length === map.size && list.every((e) => map.has(e.blob));
}

export function sameEntries(
  list: { topic: string; blob: string }[],
  map: Map<string, { blob: string }>,
): boolean {
  return list.length === map.size && list.every((e) => map.get(e.topic)?.blob === e.blob);
}
