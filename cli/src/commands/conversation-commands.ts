/**
 * Conversations from the command line (docs/DESIGN.md §8, §12): `kith conversation create|show|list`,
 * `kith post`, `kith vote`, and `kith consensus` (the worker as its own process). Everything but
 * `consensus` is one call to the running agent's local API.
 */
import type { ApiClient, BodyOf } from '@kith/api';
import { connectAgent } from '@kith/api/locate-agent';
import type { LogLevel } from '@kith/agent/logger';
import { KithError } from '@kith/core/errors';
import type { Parsed } from '../args.ts';
import { type Command, flagList, flagString } from '../command.ts';
import { showText } from './conversation-view.ts';
import { labeller, people, resolveConversation, resolveUser } from './resolve.ts';

/** The conversation ID a command names (full id or a prefix `kith conversation list` shows). */
async function conversationId(agent: ApiClient, args: Parsed, command: string): Promise<string> {
  const id = args.positionals[0];
  if (id === undefined) throw new KithError('USAGE', `${command} needs the conversation ID.`);
  return resolveConversation(agent, id);
}

/** `k=v`: numbers, booleans, null, [lists] and {maps} as JSON; anything else as text. */
export function parseParam(text: string, flag = '--param'): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new KithError('USAGE', `${flag} takes key=value, not "${text}".`);
  const key = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  // CEL rules are text even when they look like JSON (`passed=true`).
  if (key === 'done' || key === 'passed') return [key, raw];
  if (/^(-?\d+(\.\d+)?|true|false|null)$/.test(raw) || /^[[{]/.test(raw)) {
    try {
      return [key, JSON.parse(raw)];
    } catch {
      throw new KithError('USAGE', `${flag} ${key}: "${raw}" is not valid JSON.`);
    }
  }
  return [key, raw];
}

function params(list: string[], flag: string): Record<string, unknown> | undefined {
  if (list.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const item of list) {
    const [k, v] = parseParam(item, flag);
    if (Object.hasOwn(out, k)) throw new KithError('USAGE', `${flag} ${k} was given twice.`);
    out[k] = v;
  }
  return out;
}

/** `a,b,c` -> ['a','b','c'] (no empty names). */
export function optionList(text: string, flag: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === ''))
    throw new KithError('USAGE', `--${flag} takes option names separated by commas, like a,b,c.`);
  return items;
}

/** `a=5,b=3` -> { a: 5, b: 3 } (whole numbers). */
export function optionNumbers(text: string, flag: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of optionList(text, flag)) {
    const m = /^(.+)=(-?\d+)$/.exec(part);
    if (!m)
      throw new KithError('USAGE', `--${flag} takes OPTION=NUMBER pairs separated by commas, like a=5,b=3.`);
    if (Object.hasOwn(out, m[1]!)) throw new KithError('USAGE', `--${flag}: "${m[1]}" is given twice.`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** The vote flags of `kith vote` as the API's vote body (exactly one form). */
export function voteBody(args: Parsed): BodyOf<'vote'> {
  const f = args.flags;
  const s = (name: string) => flagString(args, name);
  const forms: [string, () => unknown][] = [];
  if (s('choice') !== undefined) forms.push(['choice', () => s('choice')]);
  if (s('approve') !== undefined) forms.push(['approve', () => optionList(s('approve')!, 'approve')]);
  if (s('rank') !== undefined) forms.push(['rank', () => optionList(s('rank')!, 'rank')]);
  if (s('score') !== undefined) forms.push(['score', () => optionNumbers(s('score')!, 'score')]);
  if (s('dots') !== undefined) forms.push(['dots', () => optionNumbers(s('dots')!, 'dots')]);
  if (s('rsvp') !== undefined)
    forms.push([
      'rsvp',
      () => {
        const a = s('rsvp')!;
        if (a !== 'yes' && a !== 'no' && a !== 'maybe')
          throw new KithError('USAGE', '--rsvp takes yes, no or maybe.');
        return a;
      },
    ]);
  if (f.ack === true) forms.push(['ack', () => true]);
  if (s('object') !== undefined) forms.push(['object', () => s('object')]);
  if (s('block') !== undefined) forms.push(['block', () => s('block')]);
  for (const v of ['yes', 'no', 'abstain'] as const) if (f[v] === true) forms.push(['vote', () => v]);
  if (s('apache') !== undefined)
    forms.push([
      'apache',
      () => {
        const v = { '+1': 1, '1': 1, '0': 0, '-1': -1 }[s('apache')!];
        if (v === undefined) throw new KithError('USAGE', '--apache takes +1, 0 or -1.');
        return { vote: v, binding: f.binding === true };
      },
    ]);
  if (f.withdraw === true) forms.push(['withdraw', () => true]);
  if (f.binding === true && s('apache') === undefined)
    throw new KithError('USAGE', '--binding goes with --apache.');
  if (forms.length !== 1)
    throw new KithError(
      'USAGE',
      forms.length === 0
        ? 'Say how you vote: --choice O, --approve O,O, --rank O,O,O, --score O=5,O=3, --dots O=3,O=5, --rsvp yes|no|maybe, --ack, --object REASON, --block REASON, --yes, --no, --abstain, --apache +1|0|-1 or --withdraw.'
        : 'Give only one way to vote at a time.',
    );
  const [name, value] = forms[0]!;
  return { [name]: value() } as BodyOf<'vote'>;
}

type Params = NonNullable<BodyOf<'createConversation'>['params']>;

export const conversationCreateCommand: Command = {
  name: 'conversation create',
  usage:
    'kith conversation create --topic T --pattern P (--method M [--param k=v…] | --rule CEL) [--option O…] --member (me | FRIEND)… [--deadline ISO] [--json]',
  summary:
    'Start a conversation: a topic, a message pattern (discussion, debate, announcement, invitation, proposal,\n' +
    'time-poll, sense-check), a consensus method (docs/CONSENSUS.md) or a custom CEL rule, options and members.',
  flags: {
    topic: { kind: 'string', description: 'what it is about' },
    pattern: {
      kind: 'string',
      description: 'discussion, debate, announcement, invitation, proposal, time-poll, sense-check',
    },
    method: { kind: 'string', description: 'a consensus method, e.g. majority, schulze, consent' },
    param: {
      kind: 'list',
      description: 'a method parameter key=value (repeatable); with --rule: winner, passed, accepts',
    },
    rule: { kind: 'string', description: 'a custom CEL rule: done when it is true' },
    option: { kind: 'list', description: 'an option to choose from (repeatable)' },
    member: {
      kind: 'list',
      description: 'a member: me, or a friend’s name, user id or the start of it (repeatable)',
    },
    deadline: { kind: 'string', description: 'ISO 8601 date and time, e.g. 2030-01-31T18:00:00Z' },
    membership: { kind: 'string', description: 'who changes the members: creator (default), members, fixed' },
    'pattern-param': {
      kind: 'list',
      description: 'a pattern parameter key=value, e.g. capacity=10 (invitation)',
    },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const topic = flagString(args, 'topic');
    const pattern = flagString(args, 'pattern');
    const method = flagString(args, 'method');
    const rule = flagString(args, 'rule');
    const members = flagList(args, 'member');
    if (topic === undefined) throw new KithError('USAGE', 'conversation create needs --topic T.');
    if (pattern === undefined) throw new KithError('USAGE', 'conversation create needs --pattern P.');
    if (method === undefined && rule === undefined)
      throw new KithError('USAGE', 'Say how it is decided: --method M (with --param k=v…) or --rule CEL.');
    if (method !== undefined && rule !== undefined)
      throw new KithError('USAGE', 'Give --method M or --rule CEL, not both.');
    if (members.length === 0)
      throw new KithError('USAGE', 'conversation create needs at least one --member (me, or a friend).');
    const deadline = flagString(args, 'deadline');
    if (deadline !== undefined && Number.isNaN(Date.parse(deadline)))
      throw new KithError('USAGE', `--deadline takes an ISO 8601 date and time, not "${deadline}".`);
    const membership = flagString(args, 'membership');
    if (membership !== undefined && !['creator', 'members', 'fixed'].includes(membership))
      throw new KithError('USAGE', '--membership takes creator, members or fixed.');
    const agent = await connectAgent(dataDir);
    const known = await people(agent);
    const memberIds: string[] = [];
    for (const m of members) memberIds.push(await resolveUser(agent, m, known));
    const body: BodyOf<'createConversation'> = { topic, pattern, members: memberIds };
    if (method !== undefined) body.method = method;
    if (rule !== undefined) body.rule = rule;
    const p = params(flagList(args, 'param'), '--param');
    // JSON values: the agent checks them as canonical values.
    if (p) body.params = p as Params;
    const pp = params(flagList(args, 'pattern-param'), '--pattern-param');
    if (pp) body.patternParams = pp as Params;
    const options = flagList(args, 'option');
    if (options.length) body.options = options;
    if (deadline !== undefined) body.deadline = new Date(Date.parse(deadline)).toISOString();
    if (membership !== undefined) body.membership = membership as BodyOf<'createConversation'>['membership'];
    const created = await agent.createConversation({ body });
    out.result(
      created,
      `Conversation ${created.id}\n(${created.pattern}, ${created.method}; ${created.members.length} members)`,
    );
  },
};

export const conversationShowCommand: Command = {
  name: 'conversation show',
  usage: 'kith conversation show ID [--json]',
  summary: 'A conversation: pattern, method, status, tally, events and the outcome once recorded.',
  flags: {},
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const agent = await connectAgent(dataDir);
    const id = await conversationId(agent, args, 'conversation show');
    const [view, name] = await Promise.all([agent.conversation({ params: { id } }), labeller(agent)]);
    out.result(view, showText(view, name));
  },
};

export const conversationListCommand: Command = {
  name: 'conversation list',
  usage: 'kith conversation list [--status open|closed] [--json]',
  summary: 'Conversations on this device.',
  flags: { status: { kind: 'string', description: 'open or closed' } },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const status = flagString(args, 'status');
    if (status !== undefined && status !== 'open' && status !== 'closed')
      throw new KithError('USAGE', '--status takes open or closed.');
    const list = await (await connectAgent(dataDir)).conversations({ query: status ? { status } : {} });
    out.result(
      list,
      list.length
        ? `${list.map((c) => `${c.status === 'open' ? '○' : '●'} ${c.id.slice(0, 12)}  ${c.topic}`).join('\n')}\n` +
            '○ open  ● closed; the 12-character id works wherever a conversation ID is asked for.'
        : 'No conversations.',
    );
  },
};

export const postCommand: Command = {
  name: 'post',
  usage: 'kith post ID TEXT [--json]',
  summary:
    'Say something in a conversation (a post, position, comment, announcement or details, as its pattern has it).',
  flags: {},
  maxPositionals: 2,
  async run({ dataDir, args, out }) {
    const text = args.positionals[1];
    if (args.positionals[0] !== undefined && (text === undefined || text === ''))
      throw new KithError('USAGE', 'post needs the TEXT (quote it).');
    const agent = await connectAgent(dataDir);
    const id = await conversationId(agent, args, 'post');
    const r = await agent.post({ params: { id }, body: { text: text! } });
    out.result(r, `Posted ${r.id}.`);
  },
};

export const voteCommand: Command = {
  name: 'vote',
  usage:
    'kith vote ID (--choice O | --approve O,O | --rank O,O,O | --score O=5,O=3 | --dots O=3,O=5 | --rsvp yes|no|maybe | --ack | --object REASON | --block REASON | --yes | --no | --abstain | --apache +1|0|-1 [--binding] | --withdraw) [--json]',
  summary: 'Take part in a conversation’s decision: one ballot; a later one replaces it until the outcome.',
  flags: {
    choice: { kind: 'string', description: 'one option (or yes/no/abstain on a yes/no question)' },
    approve: { kind: 'string', description: 'the options you approve, comma-separated' },
    rank: { kind: 'string', description: 'options from most to least preferred, comma-separated' },
    score: { kind: 'string', description: 'OPTION=SCORE pairs, comma-separated' },
    dots: { kind: 'string', description: 'OPTION=DOTS pairs, comma-separated' },
    rsvp: { kind: 'string', description: 'yes, no or maybe' },
    ack: { kind: 'boolean', description: 'acknowledge (consent, all-acknowledged)' },
    object: { kind: 'string', description: 'object, with a reason' },
    block: { kind: 'string', description: 'block, with a reason' },
    yes: { kind: 'boolean', description: 'vote yes' },
    no: { kind: 'boolean', description: 'vote no' },
    abstain: { kind: 'boolean', description: 'abstain' },
    apache: { kind: 'string', description: '+1, 0 or -1 (Apache-style)' },
    binding: { kind: 'boolean', description: 'with --apache: a binding vote' },
    withdraw: { kind: 'boolean', description: 'take back your ballot' },
  },
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    if (args.positionals[0] === undefined) throw new KithError('USAGE', 'vote needs the conversation ID.');
    const body = voteBody(args);
    const agent = await connectAgent(dataDir);
    const id = await conversationId(agent, args, 'vote');
    const r = await agent.vote({ params: { id }, body });
    out.result(r, `Voted (${r.id}).`);
  },
};

export const consensusCommand: Command = {
  name: 'consensus',
  usage: 'kith consensus [--data DIR] [--log-level L]',
  summary:
    'Run the consensus worker alone (the compose `consensus` service) next to `kith agent`: it records\n' +
    'outcomes through the agent’s local API. `kith up` runs it already; run one worker per agent.',
  flags: {
    'log-level': {
      kind: 'string',
      description: 'fatal…trace or silent (KITH_LOG_LEVEL)',
      env: 'KITH_LOG_LEVEL',
    },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    // Imported here: the other conversation commands never load the worker or the logger.
    const { createLogger, LOG_LEVELS } = await import('@kith/agent/logger');
    const { runConsensus } = await import('@kith/consensus/run');
    const level = (flagString(args, 'log-level') ?? 'info') as LogLevel;
    if (!LOG_LEVELS.includes(level))
      throw new KithError('USAGE', `--log-level takes ${LOG_LEVELS.join(', ')}.`);
    const { parseConfig } = await import('@kith/agent/config');
    const { timingFromConfig } = await import('@kith/consensus/timing');
    const running = await runConsensus({
      dataDir,
      logger: createLogger({ level }),
      timing: timingFromConfig(parseConfig({ env: process.env })),
    });
    out.note(`kith: consensus worker running for ${dataDir}. Stop with Ctrl-C.`);
    await running.closed;
  },
};

export const CONVERSATION_COMMANDS: Command[] = [
  conversationCreateCommand,
  conversationShowCommand,
  conversationListCommand,
  postCommand,
  voteCommand,
  consensusCommand,
];
