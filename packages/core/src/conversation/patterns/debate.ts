/**
 * Debate (docs/DESIGN.md §8 "debate: positions and arguments for/against"). The claims under debate are
 * the genesis options and the `position` events members put forward; an `argument` is for or
 * against one claim; a `rebuttal` answers an argument (or another rebuttal). Members then vote
 * in the form the method needs.
 *
 * Optional rounds (`{ rounds: n }`): round 1 opens with the genesis; only the creator opens the
 * next one (`next-round` with its number). Positions are stated in round 1, votes are cast in
 * the last round; arguments and rebuttals are welcome in every round.
 */
import { Type } from '@sinclair/typebox';
import { KithError } from '../../errors.ts';
import type { Pattern } from './pattern.ts';
import { body, checkOption, EventRef, OptionRef, optionalInt, paramObject, Text } from './shared.ts';

export const MAX_DEBATE_ROUNDS = 20;

function rounds(ctx: { patternParams: Record<string, unknown> }): number | null {
  return (ctx.patternParams.rounds as number | null) ?? null;
}

export const debate: Pattern = {
  name: 'debate',
  kinds: {
    position: {
      who: 'participant',
      body: body({ text: Text, option: Type.Optional(OptionRef) }),
      check(b, ctx) {
        checkOption(b.option, ctx);
        if (rounds(ctx) !== null && ctx.round !== 1)
          throw new KithError('CONVERSATION_OUT_OF_TURN', 'Positions are stated in the first round.');
      },
    },
    argument: {
      who: 'participant',
      body: body({
        side: Type.Union([Type.Literal('for'), Type.Literal('against')]),
        text: Text,
        target: Type.Optional(EventRef),
        option: Type.Optional(OptionRef),
      }),
      check(b, ctx) {
        if ((b.target === undefined) === (b.option === undefined))
          throw new KithError(
            'CONVERSATION_BAD_BODY',
            'An argument names exactly one claim: a position (`target`) or an option (`option`).',
          );
        checkOption(b.option, ctx);
        if (b.target !== undefined) ctx.target(b.target as string, ['position']);
      },
    },
    rebuttal: {
      who: 'participant',
      body: body({ target: EventRef, text: Text }),
      check: (b, ctx) => void ctx.target(b.target as string, ['argument', 'rebuttal']),
    },
    'next-round': {
      who: 'creator',
      body: body({ round: Type.Integer({ minimum: 2, maximum: MAX_DEBATE_ROUNDS }) }),
      check(b, ctx) {
        const n = rounds(ctx);
        if (n === null) throw new KithError('CONVERSATION_UNKNOWN_KIND', 'This debate has no rounds.');
        if (b.round !== ctx.round + 1 || (b.round as number) > n)
          throw new KithError(
            'CONVERSATION_OUT_OF_TURN',
            `The debate is in round ${ctx.round} of ${n}; the next round is ${ctx.round + 1}.`,
          );
      },
    },
  },
  ballotKinds: ['yes-no', 'choice', 'approval', 'ranking', 'score', 'dots'],
  recordedBallotKinds: [],
  validateParams(raw) {
    const obj = paramObject(raw, ['rounds']);
    return { rounds: optionalInt(obj, 'rounds', 1, MAX_DEBATE_ROUNDS) };
  },
  checkVote(_ballot, ctx) {
    const n = rounds(ctx);
    if (n !== null && ctx.round < n)
      throw new KithError('CONVERSATION_OUT_OF_TURN', `Votes are cast in the last round (${n}).`);
  },
};
