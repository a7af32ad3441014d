/**
 * The ways a person casts a vote (docs/DESIGN.md §12 `kith vote`), mapped to the consensus module's
 * ballots (docs/CONSENSUS.md "Ballots"). Exactly one form per vote. Whether the ballot suits
 * the conversation (its kind, options, score range, dot budget) is checked by the model when
 * the vote is posted.
 */
import type { Ballot } from '@kith/core/consensus/index';
import type { Genesis } from '@kith/core/conversation/index';
import { KithError } from '@kith/core/errors';

export type YesNo = 'yes' | 'no' | 'abstain';

export interface VoteForm {
  /** One option (plurality); on a yes/no method `yes`, `no`, `abstain` (or up, down, sideways). */
  choice?: string;
  approve?: string[];
  /** Most preferred first. */
  rank?: string[];
  score?: Record<string, number>;
  dots?: Record<string, number>;
  rsvp?: 'yes' | 'no' | 'maybe';
  ack?: true;
  /** An objection, with its reason. */
  object?: string;
  block?: string;
  /** A yes/no vote. */
  vote?: YesNo;
  apache?: { vote: 1 | 0 | -1; binding: boolean };
  withdraw?: true;
}

export const VOTE_FORMS = [
  'choice',
  'approve',
  'rank',
  'score',
  'dots',
  'rsvp',
  'ack',
  'object',
  'block',
  'vote',
  'apache',
  'withdraw',
] as const satisfies readonly (keyof VoteForm)[];

/** Sense-check words for yes/no (docs/CONSENSUS.md "Patterns": up / sideways / down). */
const YES_NO_WORDS: Readonly<Record<string, YesNo>> = {
  yes: 'yes',
  no: 'no',
  abstain: 'abstain',
  up: 'yes',
  down: 'no',
  sideways: 'abstain',
};

export function ballotFromForm(form: VoteForm, genesis: Genesis): Ballot {
  const given = VOTE_FORMS.filter((k) => form[k] !== undefined && form[k] !== (false as never));
  if (given.length !== 1)
    throw new KithError(
      'INVALID_INPUT',
      given.length === 0
        ? `Give one way to vote: ${VOTE_FORMS.join(', ')}.`
        : `Give only one way to vote, not ${given.join(' and ')}.`,
    );
  const counts = (kind: Ballot['kind']) => genesis.method.accepts.includes(kind);
  switch (given[0]!) {
    case 'choice': {
      const choice = form.choice!;
      const yesNo = Object.hasOwn(YES_NO_WORDS, choice) ? YES_NO_WORDS[choice] : undefined;
      // `--choice yes` on a yes/no question is a yes/no vote, unless "yes" is an option.
      if (yesNo !== undefined && counts('yes-no') && !genesis.options.includes(choice))
        return { kind: 'yes-no', vote: yesNo };
      return { kind: 'choice', option: choice };
    }
    case 'approve':
      return { kind: 'approval', options: [...form.approve!] };
    case 'rank':
      return { kind: 'ranking', ranking: [...form.rank!] };
    case 'score':
      return { kind: 'score', scores: { ...form.score! } };
    case 'dots':
      return { kind: 'dots', dots: { ...form.dots! } };
    case 'rsvp':
      return { kind: 'rsvp', answer: form.rsvp! };
    case 'ack':
      return { kind: 'ack' };
    case 'object':
      return { kind: 'objection', reason: form.object! };
    case 'block':
      return { kind: 'block', reason: form.block! };
    case 'vote':
      return { kind: 'yes-no', vote: form.vote! };
    case 'apache':
      return { kind: 'apache', vote: form.apache!.vote, binding: form.apache!.binding };
    case 'withdraw':
      return { kind: 'withdraw' };
  }
}
