/**
 * The six digits (docs/SECURITY.md "Pairing"): after a friend pairing both people compare the
 * short authentication string, and each side's friendship is active only once its person says
 * they match. `kith invite` and `kith accept` ask on a terminal; `kith confirm` / `kith reject`
 * answer later or from a script; `--yes-digits-match` answers yes up front.
 */
import type { ApiClient } from '@kith/api';
import { connectAgent } from '@kith/api/locate-agent';
import { KithError } from '@kith/core/errors';
import { type EndedPairing, endedSentence } from '@kith/core/pairing/ended-pairing';
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

/** Asks one yes/no question on the terminal; true only for "y" or "yes". `cancel` stops asking. */
function askYesNo(question: string): { answer: Promise<boolean>; cancel(): void } {
  const stdin = process.stdin;
  let onData: ((chunk: string) => void) | undefined;
  const answer = new Promise<boolean>((resolve) => {
    process.stderr.write(question);
    stdin.setEncoding('utf8');
    stdin.resume();
    let typed = '';
    onData = (chunk: string) => {
      typed += chunk;
      const end = typed.search(/[\r\n]/);
      if (end < 0) return;
      stop();
      resolve(/^\s*y(es)?\s*$/i.test(typed.slice(0, end)));
    };
    stdin.on('data', onData);
  });
  const stop = () => {
    if (!onData) return;
    stdin.off('data', onData);
    onData = undefined;
    stdin.pause();
  };
  return {
    answer,
    cancel() {
      if (!onData) return;
      stop();
      process.stderr.write('\n'); // the question's line, left open, ends here
    },
  };
}

/** How often a waiting question looks whether the pairing was settled elsewhere. */
const SETTLED_POLL_MS = 500;

/**
 * Waits until the pairing with `userId` no longer waits for the six digits on this node: the
 * other person rejected it or it ran out (the ended pairing), or this side was confirmed or
 * rejected elsewhere (`kith confirm`, the web UI: 'elsewhere'). Never resolves while it waits;
 * `stop` ends the watch. An agent that does not answer a poll is asked again at the next one.
 */
function watchSettled(
  agent: ApiClient,
  userId: string,
): { settled: Promise<EndedPairing | 'elsewhere'>; stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const settled = new Promise<EndedPairing | 'elsewhere'>((resolve) => {
    const poll = async () => {
      if (stopped) return;
      try {
        // A new pairing clears the user's earlier ended one (pending-friends.ts): one found now is this one's end.
        if (!(await agent.pendingFriends()).some((p) => p.userId === userId)) {
          const ended = (await agent.endedPairings()).find((e) => e.userId === userId);
          if (!stopped) return resolve(ended ?? 'elsewhere');
        }
      } catch {}
      if (!stopped) timer = setTimeout(() => void poll(), SETTLED_POLL_MS);
    };
    timer = setTimeout(() => void poll(), SETTLED_POLL_MS);
  });
  return {
    settled,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * Asks whether the six digits match. The question ends without an answer when the pairing is
 * settled meanwhile: the other person rejected it or it ran out (PAIRING_ENDED with the
 * sentence that says so), or it was answered elsewhere ('elsewhere').
 */
async function askDigits(agent: ApiClient, userId: string): Promise<boolean | 'elsewhere'> {
  const question = askYesNo('Do the six digits on the other screen match? [y/N] ');
  const watch = watchSettled(agent, userId);
  try {
    const first = await Promise.race([question.answer, watch.settled]);
    if (typeof first === 'boolean' || first === 'elsewhere') return first;
    throw new KithError('PAIRING_ENDED', endedSentence(first));
  } finally {
    watch.stop();
    question.cancel();
  }
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
  let yes: boolean | 'elsewhere' | undefined;
  if (args.flags['yes-digits-match'] === true) yes = true;
  else if (!out.json && process.stdin.isTTY && process.stderr.isTTY) {
    process.stdout.write(`The six digits: ${paired.sas}\n`);
    yes = await askDigits(agent, paired.userId);
  }
  if (yes === 'elsewhere') {
    const friend = (await agent.friends()).some((f) => f.userId === paired.userId);
    return friend
      ? { state: 'active', text: `Confirmed elsewhere: ${who} is your friend on this side.` }
      : { state: 'forgotten', text: `Rejected elsewhere: the pairing with ${who} ended.` };
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
