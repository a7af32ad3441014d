import { useEffect, useState } from 'preact/hooks';
import { api, errorCode } from '../api.ts';
import { ErrorNote } from '../components/Errors.tsx';
import { pickWordPositions, wordsMatch } from '../logic/phrase-check.ts';
import { usePeople } from '../names.ts';

type Step = 'loading' | 'none' | 'ready' | 'shown' | 'confirmed' | 'unsupported';

/**
 * The seed phrase of a new identity, shown once, then three of its words typed back. The phrase
 * stays in this component's memory only; leaving the page forgets it.
 */
export function OnboardingScreen() {
  const people = usePeople();
  const [step, setStep] = useState<Step>('loading');
  const [phrase, setPhrase] = useState('');
  const [positions, setPositions] = useState<number[]>([]);
  const [answers, setAnswers] = useState(['', '', '']);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api
      .phraseStatus()
      .then((s) => setStep(s.pending ? 'ready' : 'none'))
      .catch((e: unknown) => setStep(errorCode(e) === 'NOT_FOUND' ? 'unsupported' : 'none'));
  }, []);

  const reveal = async () => {
    try {
      const r = await api.revealPhrase();
      setPhrase(r.phrase);
      setPositions(pickWordPositions(r.phrase.split(/\s+/).length));
      setStep('shown');
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section aria-labelledby="onboard-title" class="narrow">
      <h1 id="onboard-title">Onboarding</h1>
      {people.me ? (
        <p>
          This node belongs to <code class="id">{people.me.userId}</code> and has {people.me.devices.length}{' '}
          device(s).
        </p>
      ) : null}
      <ErrorNote error={error} />
      {step === 'ready' ? (
        <div class="panel">
          <h2>Write down your seed phrase</h2>
          <p>
            Your 24-word seed phrase regains everything if every device is lost. It is shown once: have paper
            ready, and make sure nobody looks over your shoulder.
          </p>
          <button type="button" onClick={reveal}>
            Show my phrase once
          </button>
        </div>
      ) : null}
      {step === 'shown' ? (
        <form
          class="panel stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (wordsMatch(phrase, positions, answers)) {
              setPhrase('');
              setStep('confirmed');
            } else setError(new Error('Those words do not match: check your paper and try again.'));
          }}
        >
          <ol class="phrase" aria-label="Seed phrase">
            {phrase.split(/\s+/).map((w, i) => (
              <li key={`${i}-${w}`}>{w}</li>
            ))}
          </ol>
          <p>When it is on paper, type these words from it:</p>
          {positions.map((p, i) => (
            <div key={p}>
              <label for={`word-${p}`}>Word {p + 1}</label>
              <input
                id={`word-${p}`}
                autocomplete="off"
                autocapitalize="none"
                value={answers[i]}
                onInput={(e) => {
                  const next = [...answers];
                  next[i] = e.currentTarget.value;
                  setAnswers(next);
                }}
              />
            </div>
          ))}
          <button type="submit">Confirm</button>
        </form>
      ) : null}
      {step === 'confirmed' ? (
        <p role="status" class="ok">
          Confirmed. Keep the paper somewhere safe.
        </p>
      ) : null}
      {step === 'none' ? (
        <p>Your seed phrase was already shown and confirmed (or is kept on paper by you).</p>
      ) : null}
      {step === 'unsupported' ? (
        <p>
          This node cannot show its phrase here: run <code>kith phrase --reveal</code> on it, and copy the
          phrase to paper.
        </p>
      ) : null}
      <h2>Add another machine to this identity</h2>
      <p>
        Start the other machine in setup mode (<code>kith up --setup web</code>, or an appliance, which starts
        that way) and open its web UI: it offers to enrol it as one of your devices with an invite from{' '}
        <a href="#/devices">Devices</a>, or to recover with your phrase and a friend’s invite.
      </p>
    </section>
  );
}
