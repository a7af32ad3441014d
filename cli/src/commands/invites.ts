/** `kith invites` lists open invites; `kith invite --cancel [ID]` ends them (docs/PROTOCOL.md §9). */
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

export async function cancelInvites(dataDir: string, id: string | undefined, out: Output): Promise<void> {
  if (id !== undefined && !/^[0-9a-f]{32}$/.test(id))
    throw new KithError('USAGE', 'An invite ID has 32 hex characters (see `kith invites`).');
  const r = await (await connectAgent(dataDir)).cancelInvites({ body: id === undefined ? {} : { id } });
  out.result(
    r,
    r.cancelled.length === 0
      ? 'No open invite to cancel.'
      : `Cancelled ${r.cancelled.length === 1 ? 'the invite' : `${r.cancelled.length} invites`}: ${r.cancelled.join(', ')}. Their codes no longer work.`,
  );
}
