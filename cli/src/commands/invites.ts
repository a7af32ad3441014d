/** `kith invites` lists open invites; `kith invite --cancel [ID]` ends them (docs/PROTOCOL.md §9). */
import type { ApiClient } from '@kith/api';
import { connectAgent } from '@kith/api/locate-agent';
import { KithError } from '@kith/core/errors';
import type { Command } from '../command.ts';
import type { Output } from '../io.ts';

export const invitesCommand: Command = {
  name: 'invites',
  usage: 'kith invites [--json]',
  summary: 'List my open invites (neither used, cancelled nor expired); `kith invite --cancel ID` ends one.',
  flags: {},
  maxPositionals: 0,
  async run({ dataDir, out }) {
    const open = await (await connectAgent(dataDir)).invites();
    out.result(
      open,
      open.length === 0
        ? 'No open invites.'
        : `ID                                ROLE    SHORT  OPEN UNTIL\n${open
            .map(
              (i) =>
                `${i.id}  ${i.role.padEnd(6)}  ${(i.nameplate === null ? '-' : String(i.nameplate)).padEnd(5)}  ${i.expiresAt}`,
            )
            .join('\n')}\nSHORT: the number of its short code (the words are shown only once).`,
    );
  },
};

export async function cancelInvites(dataDir: string, typed: string | undefined, out: Output): Promise<void> {
  const text = typed?.trim().toLowerCase();
  if (text !== undefined && !/^[0-9a-f]{4,32}$/.test(text))
    throw new KithError(
      'USAGE',
      'An invite ID has 32 hex characters, or give its first few (at least 4), as `kith invites` shows them.',
    );
  const agent = await connectAgent(dataDir);
  const id = text === undefined || text.length === 32 ? text : await openInviteByPrefix(agent, text);
  const r = await agent.cancelInvites({ body: id === undefined ? {} : { id } });
  out.result(
    r,
    r.cancelled.length === 0
      ? 'No open invite to cancel.'
      : `Cancelled ${r.cancelled.length === 1 ? 'the invite' : `${r.cancelled.length} invites`}: ${r.cancelled.join(', ')}. Their codes no longer work.`,
  );
}

/** The one open invite whose id starts with `prefix`. */
async function openInviteByPrefix(agent: ApiClient, prefix: string): Promise<string> {
  const matches = (await agent.invites()).filter((i) => i.id.startsWith(prefix));
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length > 1)
    throw new KithError(
      'ID_AMBIGUOUS',
      `"${prefix}" starts ${matches.length} open invites: ${matches.map((i) => i.id).join(', ')}.`,
    );
  throw new KithError(
    'NO_MATCH',
    `No open invite has an id starting with "${prefix}" (see \`kith invites\`).`,
  );
}
