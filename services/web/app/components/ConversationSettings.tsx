import type { NewConversationForm } from '../logic/new-conversation.ts';

const PATTERN_PARAM_EXAMPLE: Record<string, string> = { invitation: 'capacity=10', debate: 'rounds=3' };

/**
 * The New conversation form's less common settings, folded away: who changes the members
 * (`--membership`), the method's parameters (`--param k=v`; with a custom rule winner, passed,
 * accepts) and the pattern's (`--pattern-param k=v`, e.g. an invitation's capacity).
 */
export function ConversationSettings({
  form,
  set,
}: {
  form: NewConversationForm;
  set: (patch: Partial<NewConversationForm>) => void;
}) {
  return (
    <details class="settings">
      <summary>More settings</summary>
      <div class="stack">
        <label for="membership">Who changes the members</label>
        <select
          id="membership"
          value={form.membership ?? ''}
          onChange={(e) => set({ membership: e.currentTarget.value as NewConversationForm['membership'] })}
        >
          <option value="">the creator (default)</option>
          <option value="members">any member</option>
          <option value="fixed">nobody: the members are fixed</option>
        </select>
        <label for="method-params">Method parameters (key=value, one a line)</label>
        <textarea
          id="method-params"
          rows={2}
          autocapitalize="none"
          spellcheck={false}
          value={form.params ?? ''}
          onInput={(e) => set({ params: e.currentTarget.value })}
        />
        <label for="pattern-params">Pattern parameters (key=value, one a line)</label>
        <textarea
          id="pattern-params"
          rows={2}
          autocapitalize="none"
          spellcheck={false}
          placeholder={PATTERN_PARAM_EXAMPLE[form.pattern] ?? ''}
          value={form.patternParams ?? ''}
          onInput={(e) => set({ patternParams: e.currentTarget.value })}
        />
        <p class="hint">
          Numbers, true, false, lists and maps are read as JSON; anything else as text. The node says which
          keys a method or pattern takes.
        </p>
      </div>
    </details>
  );
}
