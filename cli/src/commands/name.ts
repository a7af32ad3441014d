/** `kith name NAME`: set or change my display name (a profile entry of the identity log). */
import { KithError } from '@kith/core/errors';
import { connectAgent } from '@kith/api/locate-agent';
import type { Command } from '../command.ts';

export const nameCommand: Command = {
  name: 'name',
  usage: 'kith name [NAME] [--json]',
  summary:
    'Set or change your name, as your friends see it: signed into your identity log and sent to your devices and friends. Without NAME it shows the current one.',
  flags: {},
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const agent = await connectAgent(dataDir);
    const name = args.positionals[0];
    if (name === undefined) {
      const me = await agent.identity();
      out.result(
        { userId: me.userId, name: me.name },
        me.name ? `${me.name} (${me.userId})` : `No name yet (${me.userId}): set one with kith name NAME.`,
      );
      return;
    }
    if (name.trim() === '') throw new KithError('USAGE', 'The NAME is empty: kith name "Ana".');
    const r = await agent.setName({ body: { name } });
    out.result(r, `Your name is now ${r.name}; your devices and friends learn it as they connect.`);
  },
};
