/**
 * `kith phrase [--reveal]`: the seed phrase of an identity made on a first start without a
 * terminal waits, sealed, in DATA/pending-phrase until shown once (docs/SECURITY.md "Keys at
 * rest"). Without --reveal: whether one waits. With it: prints it once; the agent erases it.
 */
import { connectAgent } from '@kith/api/locate-agent';
import type { Command } from '../command.ts';
import { showPhrase } from './init.ts';

export const phraseCommand: Command = {
  name: 'phrase',
  usage: 'kith phrase [--reveal]',
  summary: 'Whether a new identity’s seed phrase waits to be shown; --reveal shows it once and erases it.',
  flags: {
    reveal: { kind: 'boolean', description: 'show the waiting phrase once; it is erased after' },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const agent = await connectAgent(dataDir);
    if (args.flags.reveal !== true) {
      const status = await agent.phraseStatus();
      out.result(
        status,
        status.pending
          ? 'A seed phrase waits to be shown once: run `kith phrase --reveal` where nobody looks over your shoulder.'
          : 'No seed phrase waits here.',
      );
      return;
    }
    const { phrase } = await agent.revealPhrase();
    if (out.json) out.result({ phrase }, phrase);
    else {
      showPhrase(out, phrase);
      out.result({ erased: true }, 'It has been erased from this machine.');
    }
  },
};
