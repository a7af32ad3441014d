import { useCallback, useEffect, useState } from 'preact/hooks';
import { type ArchiveListItem, type ArchiveStatus, type ArchiveTranscript, api } from '../api.ts';
import { ErrorNote } from '../components/Errors.tsx';
import { RestoreFromArchive } from '../components/RestoreArchive.tsx';
import { useAgentEvents } from '../events.ts';
import { nameOf, shortConversationId, shortId, usePeople } from '../names.ts';

const bytes = (n: number) =>
  n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;

export function ArchiveScreen({ item }: { item?: string }) {
  if (item) return <Transcript id={item} />;
  return <ArchiveOverview />;
}

function ArchiveOverview() {
  const people = usePeople();
  const [status, setStatus] = useState<ArchiveStatus | null>(null);
  const [history, setHistory] = useState<ArchiveListItem[]>([]);
  const [current, setCurrent] = useState<ArchiveListItem[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [syncing, setSyncing] = useState(false);
  // The topics of the conversations this device knows: a card names its conversation as the
  // Conversations screen does (the archive's lists hold only ids).
  const [topics, setTopics] = useState(new Map<string, string>());
  const load = useCallback(() => {
    api
      .conversations()
      .then((list) => setTopics(new Map(list.map((c) => [c.id, c.topic]))))
      .catch(() => {});
    api.archiveStatus().then(setStatus).catch(setError);
    api
      .archiveHistory()
      .then(setHistory)
      .catch(() => setHistory([]));
    api
      .archiveCurrent()
      .then(setCurrent)
      .catch(() => setCurrent([]));
  }, []);
  useEffect(load, [load]);
  // Repair progress and new copies arrive as events: the numbers move while a pass runs.
  useAgentEvents(['archive.'], (e) => {
    // A restore's progress is followed by its own panel; each of its steps is no reason to reload.
    if (!e.type.startsWith('archive.restore.progress')) load();
  });

  const repair = status?.repair;
  return (
    <section aria-labelledby="archive-title">
      <h1 id="archive-title">Archive</h1>
      <ErrorNote error={error} />
      {status ? (
        <>
          <dl class="stats">
            <div>
              <dt>Items</dt>
              <dd>{status.items}</dd>
            </div>
            <div>
              <dt>Size</dt>
              <dd>{bytes(status.bytes)}</dd>
            </div>
            <div>
              <dt>Copies wanted</dt>
              <dd>{status.replicas}</dd>
            </div>
            <div>
              <dt>Under-replicated</dt>
              <dd class={status.underReplicated ? 'warn' : ''}>{status.underReplicated}</dd>
            </div>
            <div>
              <dt>Waiting for re-wrap</dt>
              <dd
                class={status.rewrap.waiting ? 'warn' : ''}
                title="Items still sealed to a revoked device; history ones need `kith archive rewrap --phrase-file F`"
              >
                {status.rewrap.waiting}
              </dd>
            </div>
            <div>
              <dt>Held for friends</dt>
              <dd>
                {status.heldForOthers.items} ({bytes(status.heldForOthers.bytes)})
              </dd>
            </div>
          </dl>
          <p>
            Copies per item:{' '}
            {Object.entries(status.copies)
              .map(([copies, n]) => `${n} item(s) with ${copies} cop${copies === '1' ? 'y' : 'ies'}`)
              .join(', ') || 'none yet'}
          </p>
          {repair ? (
            <div class="repair">
              <label for="repair-progress">Repair {repair.running ? 'running' : 'idle'}</label>
              <progress id="repair-progress" max={Math.max(1, repair.total)} value={repair.done} />
              <span>
                {repair.done} of {repair.total} · {repair.pendingStores} copies on the way ·{' '}
                {repair.lastPassAt
                  ? `last pass ${new Date(repair.lastPassAt).toLocaleTimeString()}`
                  : 'no pass yet'}
              </span>
            </div>
          ) : null}
          <h2>Holders</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Whose</th>
                <th scope="col">Holds</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {status.holders.map((h) => (
                <tr key={h.deviceId}>
                  <td>
                    <code>{shortId(h.deviceId)}</code>
                    {h.self ? ' (this one)' : ''}
                  </td>
                  <td>{h.own ? 'mine' : h.userId ? nameOf(people, h.userId) : '?'}</td>
                  <td>{h.held}</td>
                  <td>
                    {h.online ? 'online' : 'offline'}
                    {h.failed ? ` · ${h.failed} failed checks` : ''}
                    {h.lost ? ` · ${h.lost} lost` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <button
        type="button"
        disabled={syncing}
        onClick={() => {
          setSyncing(true);
          api
            .archiveSync()
            .then(load)
            .catch(setError)
            .finally(() => setSyncing(false));
        }}
      >
        {syncing ? 'Archiving…' : 'Archive now'}
      </button>
      <RestoreFromArchive />
      <h2>Current conversations</h2>
      <List items={current} topics={topics} />
      <h2>History</h2>
      <List items={history} topics={topics} />
    </section>
  );
}

function List({ items, topics }: { items: ArchiveListItem[]; topics: Map<string, string> }) {
  if (items.length === 0) return <p class="quiet">Nothing archived yet.</p>;
  return (
    <ul class="cards">
      {items.map((i) => (
        <li key={i.id}>
          <a class="card" href={`#/archive/${i.id}`}>
            <strong>
              {i.conversation
                ? `${topics.get(i.conversation) ?? 'Conversation'} · ${shortConversationId(i.conversation)}`
                : `Item ${i.id.slice(0, 8)}`}
            </strong>
            <span class="preview">
              {'closedAt' in i
                ? `closed ${new Date(i.closedAt).toLocaleString()} · ${i.messages} messages`
                : `updated ${new Date(i.updatedAt).toLocaleString()}`}
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}

function Transcript({ id }: { id: string }) {
  const people = usePeople();
  const [t, setT] = useState<ArchiveTranscript | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.archiveItem(id).then(setT).catch(setError);
  }, [id]);
  return (
    <section aria-labelledby="transcript-title">
      <p>
        <a href="#/archive">Back to the archive</a>
      </p>
      <h1 id="transcript-title">{t ? t.title : 'Archived conversation'}</h1>
      <ErrorNote error={error} />
      {t ? (
        <>
          <p class="meta">
            {t.archive} · {t.kind} · {t.members.map((m) => nameOf(people, m)).join(', ')}
          </p>
          <ol class="messages">
            {t.messages.map((m) => (
              <li key={m.id} class={m.from === people.me?.userId ? 'mine' : 'theirs'}>
                <span class="who">{nameOf(people, m.from)}</span>
                <p>{m.text}</p>
                <span class="when">{new Date(m.sentAt).toLocaleString()}</span>
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </section>
  );
}
