/** The New conversation form as the body of POST /api/conversations, or the first problem. */
import type { CreateConversation } from '../api.ts';
export const PATTERNS: [name: string, help: string][] = [
  ['proposal', 'A proposal to vote on, with objections and blocks.'],
  ['discussion', 'A threaded discussion.'],
  ['debate', 'Positions, with arguments for and against.'],
  ['announcement', 'You post; members acknowledge.'],
  ['invitation', 'An event; members answer yes, maybe or no.'],
  ['time-poll', 'Find a time: the options are dates and times.'],
  ['sense-check', 'A quick yes / no / abstain on the topic.'],
];

/** The method that suits a pattern when the person does not choose. */
export const DEFAULT_METHOD: Record<string, string> = {
  proposal: 'plurality',
  discussion: 'lazy-consensus',
  debate: 'schulze',
  announcement: 'all-acknowledged',
  invitation: 'rsvp-threshold',
  'time-poll': 'approval',
  'sense-check': 'majority',
};

export interface NewConversationForm {
  topic: string;
  pattern: string;
  method: string;
  /** Used when method is 'custom'. */
  rule: string;
  options: string;
  members: string[];
  deadline: string;
  /** Method parameters (with a custom rule: winner, passed, accepts), `key=value` one a line. */
  params?: string;
  /** Pattern parameters, e.g. `capacity=10`, `key=value` one a line. */
  patternParams?: string;
  /** Who changes the members; the node's default (creator) when empty. */
  membership?: '' | 'creator' | 'members' | 'fixed';
}

type Params = NonNullable<CreateConversation['params']>;

/**
 * `key=value` lines as `kith conversation create --param` reads them: numbers, booleans, null,
 * [lists] and {maps} as JSON, anything else as text (a CEL rule's `done` and `passed` always
 * text). Empty lines are skipped; the first problem is returned as a sentence.
 */
export function parseParams(text: string, what: string): Params | undefined | string {
  const out: Record<string, unknown> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return `${what}: write key=value, one a line (not “${line.slice(0, 40)}”).`;
    const key = line.slice(0, eq).trim();
    const raw = line.slice(eq + 1).trim();
    if (Object.hasOwn(out, key)) return `${what}: ${key} is given twice.`;
    if (
      key !== 'done' &&
      key !== 'passed' &&
      (/^(-?\d+(\.\d+)?|true|false|null)$/.test(raw) || /^[[{]/.test(raw))
    ) {
      try {
        out[key] = JSON.parse(raw);
      } catch {
        return `${what}: ${key} is not valid JSON.`;
      }
    } else out[key] = raw;
  }
  return Object.keys(out).length ? (out as Params) : undefined;
}

export function conversationBody(f: NewConversationForm): CreateConversation | string {
  if (!f.topic.trim()) return 'Give the conversation a topic.';
  const options = f.options
    .split('\n')
    .map((o) => o.trim())
    .filter(Boolean);
  if (new Set(options).size !== options.length) return 'Each option must be different.';
  if (f.members.length === 0) return 'Choose at least one member.';
  const body: CreateConversation = { topic: f.topic.trim(), pattern: f.pattern, members: f.members };
  if (f.method === 'custom') {
    if (!f.rule.trim()) return 'Write the custom rule, or pick a method.';
    body.rule = f.rule.trim();
  } else body.method = f.method;
  if (options.length) body.options = options;
  const params = parseParams(f.params ?? '', 'Method parameters');
  if (typeof params === 'string') return params;
  if (params) body.params = params;
  const patternParams = parseParams(f.patternParams ?? '', 'Pattern parameters');
  if (typeof patternParams === 'string') return patternParams;
  if (patternParams) body.patternParams = patternParams;
  if (f.membership) body.membership = f.membership;
  if (f.deadline) {
    const ms = Date.parse(f.deadline);
    if (Number.isNaN(ms)) return 'The deadline is not a date and time.';
    body.deadline = new Date(ms).toISOString();
  }
  return body;
}
