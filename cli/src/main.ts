/**
 * The `kith` command line (DESIGN §12). Exit codes: 0 success, 1 failure, 2 usage error.
 * With --json exactly one JSON document goes to stdout (errors too); logs go to stderr.
 */
import { resolve } from 'node:path';
import { selectBackend, setDefaultBackend } from '@kith/core/crypto/index';
import { KithError, isKithError } from '@kith/core/errors';
import { helpText, parseArgs } from './args.ts';
import { type Command, GLOBAL_FLAGS } from './command.ts';
import {
  archiveCurrentCommand,
  archiveGetCommand,
  archiveHistoryCommand,
  archivePutCommand,
  archiveStatusCommand,
  archiveSyncCommand,
} from './commands/archive-commands.ts';
import { CONVERSATION_COMMANDS } from './commands/conversation-commands.ts';
import { identityCommand } from './commands/identity.ts';
import { initCommand } from './commands/init.ts';
import { phraseCommand } from './commands/phrase.ts';
import { recoverCommand } from './commands/recover.ts';
import { makeOutput } from './io.ts';
import {
  acceptCommand,
  agentCommand,
  friendsCommand,
  inviteCommand,
  messagesCommand,
  peersCommand,
  revokeCommand,
  sendCommand,
  statusCommand,
  unfriendCommand,
  upCommand,
} from './commands/node-commands.ts';

export const COMMANDS: Command[] = [
  initCommand,
  recoverCommand,
  identityCommand,
  phraseCommand,
  upCommand,
  agentCommand,
  statusCommand,
  inviteCommand,
  acceptCommand,
  friendsCommand,
  peersCommand,
  revokeCommand,
  unfriendCommand,
  sendCommand,
  messagesCommand,
  ...CONVERSATION_COMMANDS,
  archiveStatusCommand,
  archivePutCommand,
  archiveSyncCommand,
  archiveHistoryCommand,
  archiveCurrentCommand,
  archiveGetCommand,
];

function overview(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(22)}${c.summary.split('\n')[0]}`);
  return `kith — a friend-to-friend message network you run yourself\n\nCommands:\n${rows.join('\n')}\n\nRun \`kith COMMAND --help\` for a command's options.\n`;
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  const two = `${argv[0]} ${argv[1]}`;
  const byTwo = COMMANDS.find((c) => c.name === two);
  if (byTwo) return { command: byTwo, rest: argv.slice(2) };
  const byOne = COMMANDS.find((c) => c.name === argv[0]);
  return byOne ? { command: byOne, rest: argv.slice(1) } : undefined;
}

export async function main(argv: string[]): Promise<number> {
  setDefaultBackend(selectBackend());
  const wantsJson = argv.includes('--json');
  const out = makeOutput(wantsJson);
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
      process.stdout.write(overview());
      return argv.length === 0 ? 2 : 0;
    }
    const found = findCommand(argv);
    if (!found)
      throw new KithError('USAGE', `Unknown command "${argv[0]}". Run \`kith --help\` for the list.`);
    const { command, rest } = found;
    const specs = { ...GLOBAL_FLAGS, ...command.flags };
    if (rest.includes('--help')) {
      process.stdout.write(helpText(command.usage, command.summary, specs));
      return 0;
    }
    const args = parseArgs(rest, specs, command.maxPositionals);
    const dataDir = resolve(typeof args.flags.data === 'string' ? args.flags.data : './data');
    await command.run({ dataDir, args, out });
    return 0;
  } catch (e) {
    const error = isKithError(e) ? e : new KithError('INTERNAL', undefined, { cause: e });
    if (wantsJson) process.stdout.write(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
    process.stderr.write(`kith: error ${error.code}: ${error.message}\n`);
    if (error.code === 'INTERNAL' && process.env.KITH_DEBUG)
      process.stderr.write(`${String((e as Error)?.stack)}\n`);
    return error.code === 'USAGE' ? 2 : 1;
  }
}
