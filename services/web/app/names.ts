/** Display names for user ids: mine, my friends', else a short id. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Friend, Identity } from './api.ts';

export interface People {
  me: Identity | null;
  friends: Friend[];
  reload(): void;
}

export const PeopleContext = createContext<People>({ me: null, friends: [], reload() {} });

export function usePeople(): People {
  return useContext(PeopleContext);
}

/** A conversation id as `kith conversation list` shows it (and every command takes back): 12 characters. */
export function shortConversationId(id: string): string {
  return id.slice(0, 12);
}

export function shortId(id: string): string {
  return id.split('-')[0] ?? id.slice(0, 5);
}

export function nameOf(people: People, userId: string): string {
  if (people.me && userId === people.me.userId) return 'Me';
  const f = people.friends.find((x) => x.userId === userId);
  return f?.name || `Friend ${shortId(userId)}`;
}
