import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, type ConversationView, type Message, type TimelineEntry } from '../api.ts';
import { ArgumentForm } from '../components/ArgumentForm.tsx';
import { Ballot } from '../components/Ballot.tsx';
import { ErrorNote } from '../components/Errors.tsx';
import { MessageBox } from '../components/MessageBox.tsx';
import { useAgentEvents } from '../events.ts';
import { ballotForm } from '../logic/ballot.ts';
import { explainOutcome } from '../logic/explain.ts';
import { nameOf, type People, usePeople } from '../names.ts';
import { markRead, markSeen } from '../read-marks.ts';
import { go } from '../route.ts';

/** A chat (`chat` = its conversation id, or `with/USER` for a new one) or a group conversation (`id`). */
export function ConversationScreen({ id, chat, to }: { id?: string; chat?: string; to?: string }) {
  if (chat)
    return (
      <ChatView conversation={chat === 'with' ? undefined : chat} to={chat === 'with' ? to : undefined} />
    );
  return <GroupView id={id!} />;
}

const time = (iso: string) => new Date(iso).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });

function ChatView({ conversation, to }: { conversation?: string; to?: string }) {
  const people = usePeople();
  const [messages, setMessages] = useState<Message[]>([]);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    if (!conversation) return;
    api
      .messages(conversation)
      .then((m) => {
        setMessages(m.sort((a, b) => Date.parse(a.sentAt) - Date.parse(b.sentAt)));
        markRead(conversation);
      })
      .catch(setError);
  }, [conversation]);
  useEffect(load, [load]);
  useAgentEvents(['message.', 'receipt'], load);
  const other = to ?? messages.find((m) => m.from !== people.me?.userId)?.from;
  return (
    <section aria-labelledby="chat-title">
      <h1 id="chat-title">{other ? `Chat with ${nameOf(people, other)}` : 'Chat'}</h1>
      <ErrorNote error={error} />
      <ol class="messages" aria-live="polite">
        {messages.map((m) => (
          <li key={m.id} class={m.from === people.me?.userId ? 'mine' : 'theirs'}>
            <span class="who">{nameOf(people, m.from)}</span>
            <p>{m.text}</p>
            <span class="when">
              {time(m.sentAt)}
              {m.from === people.me?.userId ? (m.delivered.length ? ' · delivered' : ' · sending') : ''}
              {m.relayed.length ? ' · via relay' : ''}
            </span>
          </li>
        ))}
      </ol>
      <MessageBox
        onSend={async (text) => {
          const sent = await api.send(conversation ? { conversation, text } : { to: other!, text });
          if (!conversation) go(`chat/${sent.conversation}`);
          else load();
        }}
      />
    </section>
  );
}

function GroupView({ id }: { id: string }) {
  const people = usePeople();
  const [view, setView] = useState<ConversationView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    api
      .conversation(id)
      .then((v) => {
        setView(v);
        markSeen(id, v.events);
      })
      .catch(setError);
  }, [id]);
  useEffect(load, [load]);
  useAgentEvents(['conversation.'], (e) => {
    if (e.type === 'stream.ready' || e.data.id === id) load();
  });
  if (!view) return <ErrorNote error={error} />;
  const form = view.status === 'open' ? ballotForm(view.method, view.params, view.pattern) : null;
  return (
    <section aria-labelledby="topic">
      <h1 id="topic">{view.topic}</h1>
      <p class="meta">
        {view.pattern} · decided by {view.method}
        {view.deadline ? ` · deadline ${time(view.deadline)}` : ''} · {view.members.length} members ·{' '}
        <strong class={`state ${view.status}`}>{view.status === 'open' ? 'Open' : 'Closed'}</strong>
      </p>
      <ErrorNote error={error} />
      {view.status === 'closed' && view.outcome ? <Outcome view={view} /> : <Standing view={view} />}
      <Timeline view={view} people={people} />
      {view.pattern === 'debate' && view.status === 'open' ? (
        <ArgumentForm view={view} onSent={load} />
      ) : null}
      {form ? <Ballot key={view.id} view={view} form={form} onVoted={load} /> : null}
      {view.status === 'open' ? <MessageBox onSend={(text) => api.post(id, text).then(load)} /> : null}
    </section>
  );
}

function Outcome({ view }: { view: ConversationView }) {
  const lines = explainOutcome(view.method, view.outcome!.result, view.tally);
  return (
    <section class="outcome" aria-labelledby="outcome-title">
      <h2 id="outcome-title">Outcome</h2>
      {lines.map((l) => (
        <p key={l}>{l}</p>
      ))}
    </section>
  );
}

/** The count so far, in the shape of the pattern (RSVP counts, acknowledgements, votes). */
function Standing({ view }: { view: ConversationView }) {
  const t = view.tally;
  if (view.pattern === 'invitation')
    return (
      <p class="standing">
        Yes {t.rsvp.yes}
        {t.rsvp.capacity !== null ? ` of ${t.rsvp.capacity} places` : ''} · maybe {t.rsvp.maybe} · no{' '}
        {t.rsvp.no}
        {t.rsvp.waitlist.length ? ` · ${t.rsvp.waitlist.length} waiting` : ''}
      </p>
    );
  if (view.pattern === 'announcement')
    return (
      <p class="standing">
        Acknowledged by {t.acks.length} of {t.eligible}
      </p>
    );
  return (
    <p class="standing">
      {t.turnout} of {t.eligible} voted
      {t.objections.length ? ` · ${t.objections.length} objection(s)` : ''}
      {t.blocks.length ? ` · ${t.blocks.length} block(s)` : ''}
    </p>
  );
}

function text(e: TimelineEntry): string {
  const t = e.body.text;
  return typeof t === 'string' ? t : '';
}

function Timeline({ view, people }: { view: ConversationView; people: People }) {
  const entries = view.timeline.filter((e) => e.kind !== 'vote');
  if (view.pattern === 'debate') {
    const side = (s: string) => entries.filter((e) => e.kind === 'argument' && e.body.side === s);
    const positions = entries.filter((e) => e.kind !== 'argument');
    return (
      <div>
        <Entries title="Positions" entries={positions} people={people} />
        <div class="columns">
          <Entries title="For" entries={side('for')} people={people} />
          <Entries title="Against" entries={side('against')} people={people} />
        </div>
      </div>
    );
  }
  if (view.pattern === 'announcement') {
    return (
      <div>
        <Entries title="Announcement" entries={entries} people={people} />
        <p>
          Acknowledged by:{' '}
          {view.tally.acks.length ? view.tally.acks.map((u) => nameOf(people, u)).join(', ') : 'nobody yet'}
        </p>
      </div>
    );
  }
  return (
    <Entries
      title={view.pattern === 'discussion' ? 'Thread' : 'Comments'}
      entries={entries}
      people={people}
    />
  );
}

function Entries({ title, entries, people }: { title: string; entries: TimelineEntry[]; people: People }) {
  const byId = new Map(entries.map((e) => [e.id, e]));
  return (
    <section class="entries" aria-label={title}>
      <h2>{title}</h2>
      {entries.length === 0 ? <p class="quiet">Nothing yet.</p> : null}
      <ol class="messages" aria-live="polite">
        {entries.map((e) => {
          const target = typeof e.body.target === 'string' ? byId.get(e.body.target) : undefined;
          return (
            <li key={e.id} class={e.author === people.me?.userId ? 'mine' : 'theirs'}>
              <span class="who">
                {nameOf(people, e.author)}
                {e.kind !== 'post' && e.kind !== 'comment' ? ` · ${e.kind}` : ''}
              </span>
              {target ? <blockquote>{text(target).slice(0, 80)}</blockquote> : null}
              {typeof e.body.option === 'string' ? <span class="claim"> on “{e.body.option}”</span> : null}
              <p>{text(e)}</p>
              <span class="when">{time(e.createdAt)}</span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
