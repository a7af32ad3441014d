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
  if (f.deadline) {
    const ms = Date.parse(f.deadline);
    if (Number.isNaN(ms)) return 'The deadline is not a date and time.';
    body.deadline = new Date(ms).toISOString();
  }
  return body;
}
