/**
 * A friend pairing that ended without a friendship (docs/PROTOCOL.md §9 step 5), and the
 * sentence that tells a person so. Shared by the agent (its errors), the CLI and the web UI.
 */
/** A pairing that ended without a friendship, kept for an hour to say why. */
export interface EndedPairing {
  userId: string;
  name: string | null;
  /** Whose side ended it: this person's (`me`) or the other person's (`them`). */
  by: 'me' | 'them';
  reason: 'rejected' | 'expired';
  at: string;
}

/** "Ana rejected the pairing at 12:03: ..." for a person. */
export function endedSentence(e: EndedPairing): string {
  const who = e.name ?? e.userId;
  const at = e.at.slice(11, 16);
  if (e.by === 'them' && e.reason === 'rejected')
    return `${who} rejected the pairing at ${at} UTC (the six digits did not match on their screen). Meet again and make a new invite.`;
  if (e.by === 'them')
    return `The pairing with ${who} ran out on their side at ${at} UTC before they confirmed. Meet again and make a new invite.`;
  if (e.reason === 'expired')
    return `The pairing with ${who} ran out at ${at} UTC: the six digits were not confirmed within an hour. Meet again and make a new invite.`;
  return `You rejected the pairing with ${who} at ${at} UTC. Meet again and make a new invite.`;
}
