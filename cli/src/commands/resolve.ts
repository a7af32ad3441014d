/**
 * What a person types for a user, a device or a conversation (docs/ARCHITECTURE.md "Command
 * line"): the full id, any prefix of it that names one (the short ids the CLI prints
 * included), a friend's name, or `me`. Several matches is ID_AMBIGUOUS, listing them; none is
 * NO_MATCH.
 */
import type { ApiClient } from '@kith/api';
import { KithError, isKithError } from '@kith/core/errors';
import { parseId } from '@kith/core/ids';

/** Ids compared without their dashes, case and the look-alikes parseId folds (i/l -> 1, o -> 0). */
function folded(text: string): string {
  return text.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
}

export interface Named {
  id: string;
  name: string | null;
}

/** `Ana (abcde-fghij)` or the short id: what the CLI prints for a user or device. */
export function label(n: Named): string {
  return n.name ? `${n.name} (${n.id.slice(0, 11)})` : n.id.slice(0, 11);
}

/** The one of `candidates` that `text` names (full id, id prefix, or name); `what` is for errors. */
export function pick(text: string, candidates: Named[], what: string): string {
  const typed = text.trim();
  try {
    const full = parseId(typed);
    const hit = candidates.find((c) => c.id === full);
    if (hit) return hit.id;
  } catch {
    // not a whole id: a name or a prefix
  }
  const byName = candidates.filter((c) => c.name !== null && c.name.toLowerCase() === typed.toLowerCase());
  if (byName.length === 1) return byName[0]!.id;
  const prefix = folded(typed);
  const byPrefix =
    prefix.length >= 2 ? candidates.filter((c) => folded(c.id).startsWith(prefix)) : ([] as Named[]);
  const matches = [...new Map([...byName, ...byPrefix].map((c) => [c.id, c])).values()];
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length > 1)
    throw new KithError(
      'ID_AMBIGUOUS',
      `"${typed}" matches ${matches.length} ${what}s: ${matches.map((m) => (m.name ? `${m.name} ${m.id}` : m.id)).join(', ')}.`,
    );
  throw new KithError('NO_MATCH', `No ${what} is called "${typed}" or has an id starting with it.`);
}

/** Me and my friends, by id and name. */
export async function people(agent: ApiClient): Promise<Named[]> {
  const [me, friends] = await Promise.all([agent.identity(), agent.friends()]);
  return [{ id: me.userId, name: me.name || null }, ...friends.map((f) => ({ id: f.userId, name: f.name }))];
}

/** A user: `me`, my or a friend's name, or an id or prefix of one. */
export async function resolveUser(agent: ApiClient, text: string, list?: Named[]): Promise<string> {
  const all = list ?? (await people(agent));
  if (text.trim().toLowerCase() === 'me') return all[0]!.id;
  return pick(text, all, 'friend');
}

/** A friend only (not me): for --to and unfriend. */
export async function resolveFriend(agent: ApiClient, text: string): Promise<string> {
  const all = await people(agent);
  let id: string;
  try {
    id = await resolveUser(agent, text, all);
  } catch (err) {
    // Paired but not confirmed here: say so rather than "no friend is called …".
    const pending = (await agent.pendingFriends()).map((p) => ({ id: p.userId, name: p.name }));
    if (isKithError(err) && err.code === 'NO_MATCH' && pending.length) {
      try {
        pick(text, pending, 'friend');
      } catch {
        throw err;
      }
      throw new KithError('FRIEND_PENDING');
    }
    throw err;
  }
  if (id === all[0]!.id) throw new KithError('INVALID_INPUT', 'That is you: name a friend.');
  return id;
}

const CONVERSATION_ID = /^[0-9a-f]{64}$/;

/** A conversation: its id, or a prefix of it (`kith conversation list` shows 12 characters). */
export async function resolveConversation(agent: ApiClient, text: string): Promise<string> {
  const typed = text.trim().toLowerCase();
  if (CONVERSATION_ID.test(typed)) return typed;
  if (!/^[0-9a-f]{4,63}$/.test(typed))
    throw new KithError(
      'USAGE',
      `"${text}" is not a conversation id: 64 hex characters, or the first few (at least 4) as \`kith conversation list\` shows them.`,
    );
  const list = await agent.conversations({ query: {} });
  const matches = list.filter((c) => c.id.startsWith(typed));
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length > 1)
    throw new KithError(
      'ID_AMBIGUOUS',
      `"${text}" starts ${matches.length} conversations: ${matches.map((c) => `${c.id.slice(0, 16)} (${c.topic})`).join(', ')}.`,
    );
  throw new KithError('CONVERSATION_UNKNOWN', `No conversation id here starts with "${text}".`);
}

/** A conversation or a direct conversation (`d-…`, as `kith send` and `kith messages` show it). */
export async function resolveAnyConversation(agent: ApiClient, text: string): Promise<string> {
  return /^d-[0-9a-f]{32}$/.test(text.trim()) ? text.trim() : resolveConversation(agent, text);
}

/** id -> label for printing: me and my friends by name. */
export async function labeller(agent: ApiClient): Promise<(id: string) => string> {
  const all = await people(agent);
  const byId = new Map(all.map((p) => [p.id, p]));
  const myId = all[0]!.id;
  return (id) => {
    const n = byId.get(id) ?? { id, name: null };
    if (id !== myId) return label(n);
    return n.name ? `${n.name} (${id.slice(0, 11)}, me)` : `me (${id.slice(0, 11)})`;
  };
}
