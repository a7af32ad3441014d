/**
 * Sense check (a quick temperature reading, "thumbs up, sideways, down"): members answer yes,
 * abstain or no (`yes-no` ballots) on the topic, and may comment. Typical methods: majority,
 * supermajority, unanimity with `of: "cast"`.
 */
import type { Pattern } from './pattern.ts';
import { comment, noParams } from './shared.ts';

export const senseCheck: Pattern = {
  name: 'sense-check',
  kinds: { comment },
  ballotKinds: ['yes-no'],
  recordedBallotKinds: [],
  validateParams: noParams,
};
