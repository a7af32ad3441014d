import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ConversationSettings } from '../components/ConversationSettings.tsx';
import { ErrorNote } from '../components/Errors.tsx';
import { METHOD_HELP } from '../logic/ballot.ts';
import {
  conversationBody,
  DEFAULT_METHOD,
  type NewConversationForm,
  PATTERNS,
} from '../logic/new-conversation.ts';
import { nameOf, usePeople } from '../names.ts';
import { go } from '../route.ts';

export function NewConversationScreen() {
  const people = usePeople();
  const me = people.me?.userId;
  const [form, setForm] = useState<NewConversationForm>({
    topic: '',
    pattern: 'proposal',
    method: DEFAULT_METHOD.proposal!,
    rule: '',
    options: '',
    members: me ? [me] : [],
    deadline: '',
  });
  const [ruleState, setRuleState] = useState<{ ok: boolean; message?: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const set = (patch: Partial<NewConversationForm>) => setForm({ ...form, ...patch });

  useEffect(() => {
    if (me && !form.members.includes(me)) set({ members: [me, ...form.members] });
  }, [me]);

  // The custom rule is checked by the node as it is typed (a short pause first).
  useEffect(() => {
    if (form.method !== 'custom' || !form.rule.trim()) return setRuleState(null);
    const timer = setTimeout(() => {
      api
        .checkRule(form.rule)
        .then(setRuleState)
        .catch(() => setRuleState(null));
    }, 300);
    return () => clearTimeout(timer);
  }, [form.rule, form.method]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const body = conversationBody(form);
    if (typeof body === 'string') return setError(new Error(body));
    try {
      const created = await api.createConversation(body);
      go(`conversations/${created.id}`);
    } catch (err) {
      setError(err);
    }
  };

  const candidates = [...(me ? [me] : []), ...people.friends.map((f) => f.userId)];
  return (
    <section aria-labelledby="new-title">
      <h1 id="new-title">New conversation</h1>
      <form class="stack" onSubmit={submit}>
        <label for="topic">Topic</label>
        <input
          id="topic"
          value={form.topic}
          onInput={(e) => set({ topic: e.currentTarget.value })}
          required
        />

        <label for="pattern">Pattern</label>
        <select
          id="pattern"
          value={form.pattern}
          onChange={(e) => {
            const pattern = e.currentTarget.value;
            set({ pattern, method: DEFAULT_METHOD[pattern] ?? form.method });
          }}
        >
          {PATTERNS.map(([name, help]) => (
            <option key={name} value={name}>
              {name} — {help}
            </option>
          ))}
        </select>

        <label for="method">How it is decided</label>
        <select id="method" value={form.method} onChange={(e) => set({ method: e.currentTarget.value })}>
          {Object.entries(METHOD_HELP).map(([name, help]) => (
            <option key={name} value={name}>
              {name} — {help}
            </option>
          ))}
          <option value="custom">custom rule (CEL)</option>
        </select>

        {form.method === 'custom' ? (
          <>
            <label for="rule">Custom rule</label>
            <textarea
              id="rule"
              rows={3}
              value={form.rule}
              aria-invalid={ruleState ? !ruleState.ok : undefined}
              aria-describedby="rule-state"
              onInput={(e) => set({ rule: e.currentTarget.value })}
              placeholder="remaining == 0 && turnout >= 2"
            />
            <p id="rule-state" class={ruleState?.ok === false ? 'error' : 'hint'} aria-live="polite">
              {ruleState === null
                ? 'A CEL expression over the tally that is true when it is decided.'
                : ruleState.ok
                  ? 'The rule is valid.'
                  : ruleState.message}
            </p>
          </>
        ) : null}

        <label for="options">Options (one per line)</label>
        <textarea
          id="options"
          rows={4}
          value={form.options}
          onInput={(e) => set({ options: e.currentTarget.value })}
        />

        <fieldset>
          <legend>Members</legend>
          {candidates.map((u) => (
            <label key={u} class="check">
              <input
                type="checkbox"
                checked={form.members.includes(u)}
                onChange={(e) =>
                  set({
                    members: e.currentTarget.checked
                      ? [...form.members, u]
                      : form.members.filter((m) => m !== u),
                  })
                }
              />
              {nameOf(people, u)}
            </label>
          ))}
        </fieldset>

        <label for="deadline">Deadline (optional)</label>
        <input
          id="deadline"
          type="datetime-local"
          value={form.deadline}
          onInput={(e) => set({ deadline: e.currentTarget.value })}
        />

        <ConversationSettings form={form} set={set} />

        <button type="submit">Create</button>
        <ErrorNote error={error} />
      </form>
    </section>
  );
}
