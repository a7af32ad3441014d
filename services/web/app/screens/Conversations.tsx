import { useCallback, useEffect, useState } from 'preact/hooks';
import { type ConversationSummary, type Message, api } from '../api.ts';
import { ErrorNote } from '../components/Errors.tsx';
import { useAgentEvents } from '../events.ts';
import { groupBadge, groupChats } from '../logic/chats.ts';
import { nameOf, usePeople } from '../names.ts';
import { readUntil, seenEvents } from '../read-marks.ts';

export function ConversationsScreen() {
  const people = usePeople();
  const [messages, setMessages] = useState<Message[]>([]);
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState<'all' | 'open' | 'closed'>('all');
  const load = useCallback(() => {
    Promise.all([api.messages(), api.conversations(status === 'all' ? undefined : status)])
      .then(([m, c]) => {
        setMessages(m);
        setConversations(c);
      })
      .catch(setError);
  }, [status]);
  useEffect(load, [load]);
  useAgentEvents(['message.', 'conversation.', 'receipt'], load);

  const me = people.me?.userId ?? '';
  const chats = groupChats(messages, me, readUntil);
  const chattingWith = new Set(chats.map((c) => c.with));
  const quiet = people.friends.filter((f) => !chattingWith.has(f.userId));

  return (
    <section aria-labelledby="conv-title">
      <h1 id="conv-title">Conversations</h1>
      <ErrorNote error={error} />
      <h2>Chats</h2>
      {chats.length === 0 && quiet.length === 0 ? (
        <p>No chats yet. Add a friend on the Friends page, then write to them here.</p>
      ) : null}
      <ul class="cards">
        {chats.map((c) => (
          <li key={c.conversation}>
            <a class="card" href={`#/chat/${c.conversation}`}>
              <strong>{c.with ? nameOf(people, c.with) : 'Notes to myself'}</strong>
              <span class="preview">{c.last.text}</span>
              {c.unread > 0 ? (
                <span class="badge">
                  {c.unread}
                  <span class="sr"> unread</span>
                </span>
              ) : null}
            </a>
          </li>
        ))}
        {quiet.map((f) => (
          <li key={f.userId}>
            <a class="card" href={`#/chat/with/${f.userId}`}>
              <strong>{nameOf(people, f.userId)}</strong>
              <span class="preview">Start a chat</span>
            </a>
          </li>
        ))}
      </ul>
      <h2>Decisions and groups</h2>
      <label for="conv-status">Show</label>{' '}
      <select
        id="conv-status"
        value={status}
        onChange={(e) => setStatus(e.currentTarget.value as 'all' | 'open' | 'closed')}
      >
        <option value="all">all</option>
        <option value="open">open only</option>
        <option value="closed">closed only</option>
      </select>
      {conversations.length === 0 && status !== 'all' ? <p>None {status}.</p> : null}
      {conversations.length === 0 && status === 'all' ? (
        <p>
          None yet. <a href="#/new">Start a conversation</a>: a discussion, a debate, a proposal to vote on.
        </p>
      ) : null}
      <ul class="cards">
        {[...conversations].sort(byActivity).map((c) => {
          const badge = groupBadge(c.events, seenEvents(c.id));
          return (
            <li key={c.id}>
              <a class="card" href={`#/conversations/${c.id}`}>
                <strong>{c.topic}</strong>
                <span class="preview">
                  {c.pattern} · {c.method} · {c.status === 'open' ? 'open' : 'closed'} · {c.members.length}{' '}
                  members
                </span>
                {badge ? (
                  <span class="badge">
                    {badge}
                    {badge === 'new' ? null : <span class="sr"> unread</span>}
                  </span>
                ) : null}
              </a>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

const byActivity = (a: ConversationSummary, b: ConversationSummary) =>
  Date.parse(b.lastActivityAt) - Date.parse(a.lastActivityAt);
