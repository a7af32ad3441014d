/**
 * Invitation (docs/DESIGN.md §8 "invitation: RSVPs with capacity"): the creator posts the `details`
 * (and may update them); members answer with an `rsvp` vote (yes, no or maybe) before the
 * deadline. With a capacity, the first `capacity` yes answers in canonical order are confirmed
 * and later ones wait-listed (the tally's rsvp section).
 */
import { Type } from '@sinclair/typebox';
import { KithError } from '../../errors.ts';
import { TALLY_LIMITS } from '../../consensus/index.ts';
import type { Pattern } from './pattern.ts';
import { body, optionalInt, paramObject, Text } from './shared.ts';

const Time = Type.Integer({ minimum: 0 });

export const invitation: Pattern = {
  name: 'invitation',
  kinds: {
    details: {
      who: 'creator',
      body: body({
        text: Text,
        place: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        startsAt: Type.Optional(Time),
        endsAt: Type.Optional(Time),
      }),
      check(b) {
        if (typeof b.startsAt === 'number' && typeof b.endsAt === 'number' && b.endsAt < b.startsAt)
          throw new KithError('CONVERSATION_BAD_BODY', 'The end is before the start.');
      },
    },
  },
  ballotKinds: ['rsvp'],
  recordedBallotKinds: [],
  validateParams(raw) {
    const obj = paramObject(raw, ['capacity']);
    return { capacity: optionalInt(obj, 'capacity', 1, TALLY_LIMITS.maxCapacity) };
  },
  rules: (p) => (p.capacity === null ? {} : { capacity: p.capacity as number }),
  checkGenesis(_g, p, methodRules) {
    const mine = p.capacity as number | null;
    const theirs = methodRules.capacity;
    if (mine !== null && theirs !== undefined && theirs !== null && theirs !== mine)
      throw new KithError(
        'CONVERSATION_METHOD_MISMATCH',
        `The invitation's capacity (${mine}) differs from the method's (${theirs}); give it once.`,
      );
  },
};
