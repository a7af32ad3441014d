/**
 * `kith archive rewrap --phrase-file F`: an archive pass with the recovery key from the phrase,
 * so items still sealed to a revoked device — history items too — are sealed to today's devices
 * (docs/ARCHITECTURE.md "Re-wrap after a revocation"). `kith revoke` starts the same by itself;
 * this is for what waited (a device or holder was offline then).
 */
import type { BodyOf } from '@kith/api';
import { connectAgent } from '@kith/api/locate-agent';
import { KithError } from '@kith/core/errors';
import { type Command, flagString, phraseFlags } from '../command.ts';
import { describeRewrap } from './archive-commands.ts';

export const archiveRewrapCommand: Command = {
  name: 'archive rewrap',
  usage: 'kith archive rewrap --phrase-file F [--bip39-passphrase-file P] [--json]',
  summary: 'Seal archive items still sealed to a revoked device to my devices of today (needs the phrase).',
  flags: {
    'phrase-file': { kind: 'string', description: 'seed phrase file (history items need the recovery key)' },
    'bip39-passphrase-file': { kind: 'string', description: 'the BIP39 passphrase, if the phrase has one' },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const phraseFile = flagString(args, 'phrase-file');
    if (phraseFile === undefined) throw new KithError('USAGE', 'archive rewrap needs --phrase-file F.');
    const body: BodyOf<'rewrapArchive'> = { phrase: '', ...(await phraseFlags(args)) };
    const agent = await connectAgent(dataDir);
    const r = await agent.rewrapArchive({ body });
    out.result(r, `Re-wrapped ${r.rewrapped} item${r.rewrapped === 1 ? '' : 's'}. ${describeRewrap(r)}`);
  },
};
