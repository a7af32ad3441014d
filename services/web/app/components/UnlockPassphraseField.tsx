/**
 * Locked relay mode chosen at setup (docs/SECURITY.md "Locked relay mode"): an optional passphrase
 * the new keys are sealed under. Sent once with the setup step, kept nowhere in the page.
 */
export function UnlockPassphraseField(props: {
  id: string;
  value: string;
  onInput: (value: string) => void;
}) {
  const hint = `${props.id}-hint`;
  return (
    <>
      <label for={props.id}>Unlock passphrase (optional, at least 8 characters)</label>
      <input
        id={props.id}
        type="password"
        autocomplete="new-password"
        minLength={8}
        maxLength={1024}
        aria-describedby={hint}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <p id={hint} class="quiet">
        With one, this device’s keys are sealed under it: after a restart the node keeps relaying and storing
        for your friends but opens nothing until someone unlocks it here (Unlock) or with{' '}
        <code>kith unlock</code>. Without one, it opens its keys by itself at every start.
      </p>
    </>
  );
}
