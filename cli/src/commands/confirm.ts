/**
 * The six digits (docs/SECURITY.md "Pairing"): after a friend pairing both people compare the
 * short authentication string, and each side's friendship is active only once its person says
 * they match. `kith invite` and `kith accept` ask on a terminal; `kith confirm` / `kith reject`
 * answer later or from a script; `--yes-digits-match` answers yes up front.
 */
import type { ApiClient } from '@kith/api';
import { connectAgent } from '@kith/api/locate-agent';
import { KithError } from '@kith/core/errors';
import { endedSentence } from '@kith/core/pairing/ended-pairing';
import type { Parsed } from '../args.ts';
import type { Command } from '../command.ts';
import type { Output } from '../io.ts';
import { pick } from './resolve.ts';

export type FriendState = 'active' | 'pending' | 'forgotten';

export const YES_DIGITS_FLAG = {
  'yes-digits-match': {
    kind: 'boolean',
    description: 'the six digits were compared already and match: make the friendship active without asking',
  },
} as const;

/** Asks one yes/no question on the terminal; true only for "y" or "yes". */
function askYesNo(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setEncoding('utf8');
    stdin.resume();
    let typed = '';
    const onData = (chunk: string) => {
      typed += chunk;
      const end = typed.search(/[\r\n]/);
      if (end < 0) return;
      stdin.off('data', onData);
      stdin.pause();
      resolve(/^\s*y(es)?\s*$/i.test(typed.slice(0, end)));
    };
    stdin.on('data', onData);
  });
}

/**
 * After a friend pairing: confirm with --yes-digits-match, ask on a terminal, or leave it pending
 * (a script answers later with `kith confirm`). Returns the state and a sentence saying it.
 */
export async function settleDigits(
  agent: ApiClient,
  paired: { userId: string; name: string | null; sas: string },
  args: Parsed,
  out: Output,
): Promise<{ state: FriendState; text: string }> {
  const who = paired.name ? `${paired.name} (${paired.userId})` : paired.userId;
  const params = { params: { userId: paired.userId } };
  let yes: boolean | undefined;
  if (args.flags['yes-digits-match'] === true) yes = true;
  else if (!out.json && process.stdin.isTTY && process.stderr.isTTY) {
    process.stdout.write(`The six digits: ${paired.sas}\n`);
    yes = await askYesNo('Do the six digits on the other screen match? [y/N] ');
  }
  if (yes === true) {
    await agent.confirmFriend(params);
    return {
      state: 'active',
      text: `Confirmed: ${who} is your friend on this side (the other person confirms on theirs).`,
    };
  }
  if (yes === false) {
    await agent.rejectFriend(params);
    return {
      state: 'forgotten',
      text: `Not confirmed: the pairing with ${who} ended and nothing was shared. Meet again and make a new invite.`,
    };
  }
  const handle = paired.name ?? paired.userId;
  return {
    state: 'pending',
    text:
      `Compare the six digits with the other screen: ${paired.sas}\n` +
      `Nothing is shared until you confirm: \`kith confirm ${handle}\` when they match, \`kith reject ${handle}\` when not.`,
  };
}

async function pendingId(agent: ApiClient, text: string): Promise<string> {
  const pending = await agent.pendingFriends();
  try {
    if (pending.length === 0) throw new KithError('NO_MATCH');
    return pick(
      text,
      pending.map((p) => ({ id: p.userId, name: p.name })),
      'pending friend',
    );
  } catch (err) {
    // A pairing that ended lately (rejected on either side, or run out) says so.
    const ended = await agent.endedPairings();
    let hit: string | undefined;
    try {
      hit = pick(
        text,
        ended.map((e) => ({ id: e.userId, name: e.name })),
        'ended pairing',
      );
    } catch {}
    const match = ended.find((e) => e.userId === hit);
    if (match) throw new KithError('PAIRING_NOT_PENDING', endedSentence(match));
    if (pending.length === 0)
      throw new KithError('PAIRING_NOT_PENDING', 'No pairing waits for the six digits on this node.');
    throw err;
  }
}

export const confirmCommand: Command = {
  name: 'confirm',
  usage: 'kith confirm (NAME | USER_ID) [--json]',
  summary:
    'The six digits match on both screens: the friendship with someone you just paired with becomes active here.\n' +
    'Until then this side shares nothing with them and refuses what they send (`kith friends` lists who waits).',
  flags: {},
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const text = args.positionals[0];
    if (!text) throw new KithError('USAGE', 'confirm needs the NAME or USER_ID (see `kith friends`).');
    const agent = await connectAgent(dataDir);
    const r = await agent.confirmFriend({ params: { userId: await pendingId(agent, text) } });
    out.result(r, `Confirmed: ${r.userId} is your friend on this side.`);
  },
};

export const rejectCommand: Command = {
  name: 'reject',
  usage: 'kith reject (NAME | USER_ID) [--json]',
  summary:
    'The six digits differ (someone may be in the middle): the pairing ends and this side forgets them.\n' +
    'The other side is told while the pairing’s link is up: its pairing ends too and its person sees why.',
  flags: {},
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const text = args.positionals[0];
    if (!text) throw new KithError('USAGE', 'reject needs the NAME or USER_ID (see `kith friends`).');
    const agent = await connectAgent(dataDir);
    const r = await agent.rejectFriend({ params: { userId: await pendingId(agent, text) } });
    out.result(r, `Rejected: the pairing with ${r.userId} ended and it was forgotten here.`);
  },
};
