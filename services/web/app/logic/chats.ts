/**
 * Direct messages grouped into chats, with unread counts: a message is unread when it came from
 * someone else after the last time this browser showed its chat (kept in localStorage).
 */
export interface ChatMessage {
  id: string;
  conversation: string;
  from: string;
  text: string;
  sentAt: string;
  receivedAt: string | null;
}

export interface Chat {
  conversation: string;
  /** The other person (the first sender who is not me), or null for a chat with myself. */
  with: string | null;
  last: ChatMessage;
  count: number;
  unread: number;
}

export function groupChats(
  messages: readonly ChatMessage[],
  me: string,
  readUntil: (c: string) => number,
): Chat[] {
  const byConversation = new Map<string, ChatMessage[]>();
  for (const m of messages) {
    const list = byConversation.get(m.conversation) ?? [];
    list.push(m);
    byConversation.set(m.conversation, list);
  }
  const chats: Chat[] = [];
  for (const [conversation, list] of byConversation) {
    list.sort((a, b) => Date.parse(a.sentAt) - Date.parse(b.sentAt));
    const seen = readUntil(conversation);
    chats.push({
      conversation,
      with: list.find((m) => m.from !== me)?.from ?? null,
      last: list[list.length - 1]!,
      count: list.length,
      unread: list.filter((m) => m.from !== me && Date.parse(m.receivedAt ?? m.sentAt) > seen).length,
    });
  }
  return chats.sort((a, b) => Date.parse(b.last.sentAt) - Date.parse(a.last.sentAt));
}

/**
 * A group conversation's badge: "new" when this browser never showed it, else the number of
 * events (posts, votes, acknowledgements) that came in since it last did; null for nothing new.
 */
export function groupBadge(events: number, seen: number | null): string | null {
  if (seen === null) return 'new';
  const fresh = events - seen;
  return fresh > 0 ? String(fresh) : null;
}
