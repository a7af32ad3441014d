/** When this browser last showed each conversation (for unread counts). */
const key = (conversation: string) => `kith.read.${conversation}`;

export function readUntil(conversation: string): number {
  return Number(localStorage.getItem(key(conversation)) ?? 0);
}

export function markRead(conversation: string, at = Date.now()): void {
  if (at > readUntil(conversation)) localStorage.setItem(key(conversation), String(at));
}
