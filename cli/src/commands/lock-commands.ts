/** `kith unlock` / `kith lock`: locked relay mode (docs/SECURITY.md "Locked relay mode"). */
import { KithError } from '@kith/core/errors';
import { connectAgent } from '@kith/api/locate-agent';
import type { Command } from '../command.ts';
import { unlockPassphrase } from './identity-common.ts';

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    return Promise.reject(
      new KithError('USAGE', 'No terminal to ask on: give the passphrase with --passphrase-file FILE.'),
    );
  }
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          if (typed.length === 0) reject(new KithError('INVALID_INPUT', 'The unlock passphrase is empty.'));
          else resolve(typed);
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          finish();
          reject(new KithError('USAGE', 'Cancelled.'));
          return;
        }
        typed = ch === '\u007f' || ch === '\b' ? typed.slice(0, -1) : typed + ch;
      }
    };
    stdin.on('data', onData);
  });
}

export const unlockCommand: Command = {
  name: 'unlock',
  usage: 'kith unlock [--passphrase-file FILE] [--json]',
  summary: 'Open the running node’s keys with the unlock passphrase: it becomes an access device.',
  flags: {
    'passphrase-file': {
      kind: 'string',
      description: 'read the unlock passphrase from FILE (else it is asked on the terminal)',
    },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const agent = await connectAgent(dataDir);
    const passphrase = (await unlockPassphrase(args)) ?? (await promptHidden('Unlock passphrase: '));
    const r = await agent.unlock({ body: { passphrase } });
    out.result(
      r,
      `Unlocked.${r.kept ? ` ${r.kept} item${r.kept === 1 ? '' : 's'} kept while locked ${r.kept === 1 ? 'was' : 'were'} read.` : ''}`,
    );
  },
};

export const lockCommand: Command = {
  name: 'lock',
  usage: 'kith lock [--json]',
  summary: 'Close the running node’s keys again: it only relays until `kith unlock`.',
  flags: {},
  maxPositionals: 0,
  async run({ dataDir, out }) {
    const r = await (await connectAgent(dataDir)).lock();
    out.result(r, 'Locked: the node relays and stores friends’ ciphertext and opens nothing.');
  },
};
