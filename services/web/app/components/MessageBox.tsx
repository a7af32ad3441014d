import { useState } from 'preact/hooks';
import { ErrorNote } from './Errors.tsx';

/** The box labelled "Message": Enter sends, Shift+Enter starts a new line. */
export function MessageBox({
  onSend,
  disabled,
}: {
  onSend: (text: string) => Promise<unknown>;
  disabled?: boolean;
}) {
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const send = async () => {
    const value = text.trim();
    if (!value || busy) return;
    setBusy(true);
    setError(null);
    try {
      await onSend(value);
      setText('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="message-box"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label for="message">Message</label>
      <div class="row">
        <textarea
          id="message"
          rows={2}
          value={text}
          disabled={disabled}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button type="submit" disabled={disabled || busy}>
          Send
        </button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}
