/** What this browser has shown of each conversation (for unread counts), kept in localStorage. */
const key = (conversation: string) => `kith.read.${conversation}`;
const seenKey = (conversation: string) => `kith.seen.${conversation}`;

/** Chats: when this browser last showed the chat (ms; 0 when never). */
export function readUntil(conversation: string): number {
  return Number(localStorage.getItem(key(conversation)) ?? 0);
}

export function markRead(conversation: string, at = Date.now()): void {
  if (at > readUntil(conversation)) localStorage.setItem(key(conversation), String(at));
}

/** Group conversations: how many events the page held when it last showed it (null: never shown). */
export function seenEvents(conversation: string): number | null {
  const v = localStorage.getItem(seenKey(conversation));
  return v === null ? null : Number(v);
}

export function markSeen(conversation: string, events: number): void {
  if (events > (seenEvents(conversation) ?? -1)) localStorage.setItem(seenKey(conversation), String(events));
}
