import type { ComponentChildren } from 'preact';

/**
 * The seed phrase and its BIP39 passphrase, as every form that takes the phrase shows them: not
 * autocompleted, capitalised or spell-checked (the words must reach the agent as typed).
 */
export function PhraseFields(props: {
  id: string;
  bip39Id: string;
  label: ComponentChildren;
  phrase: string;
  onPhrase: (value: string) => void;
  bip39: string;
  onBip39: (value: string) => void;
}) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <textarea
        id={props.id}
        rows={3}
        autocomplete="off"
        autocapitalize="none"
        spellcheck={false}
        value={props.phrase}
        onInput={(e) => props.onPhrase(e.currentTarget.value)}
      />
      <label for={props.bip39Id}>BIP39 passphrase (only if your phrase has one)</label>
      <input
        id={props.bip39Id}
        type="password"
        autocomplete="off"
        value={props.bip39}
        onInput={(e) => props.onBip39(e.currentTarget.value)}
      />
    </>
  );
}
