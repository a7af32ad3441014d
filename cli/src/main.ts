/**
 * The `kith` command line (docs/DESIGN.md §12). Exit codes: 0 success, 1 failure, 2 usage error.
 * With --json exactly one JSON document goes to stdout (errors too); logs go to stderr.
 */
import { resolve } from 'node:path';
import { KithError, isKithError } from '@kith/core/errors';
import rootPackage from '../../package.json' with { type: 'json' };
import { parseArgs } from './args.ts';
import { commandHelp, commandList, groupHelp, helpWidth, wrap } from './help.ts';
import { type Command, GLOBAL_FLAGS } from './command.ts';
import { makeOutput } from './io.ts';

/**
 * Every command by name, in the order `kith --help` lists them. Each is imported only when it
 * runs, so `kith --version` or `kith status` never loads the agent, its database or fastify
 * (docs/ARCHITECTURE.md, "Build"). cli/test/main.test.ts checks the names match the commands.
 */
const node = () => import('./commands/node-commands.ts');
const conversation = () => import('./commands/conversation-commands.ts');
const archive = () => import('./commands/archive-commands.ts');
export const COMMAND_LOADERS: ReadonlyArray<readonly [string, () => Promise<Command>]> = [
  ['init', async () => (await import('./commands/init.ts')).initCommand],
  ['recover', async () => (await import('./commands/recover.ts')).recoverCommand],
  ['identity', async () => (await import('./commands/identity.ts')).identityCommand],
  ['name', async () => (await import('./commands/name.ts')).nameCommand],
  ['phrase', async () => (await import('./commands/phrase.ts')).phraseCommand],
  ['up', async () => (await node()).upCommand],
  ['agent', async () => (await node()).agentCommand],
  ['web', async () => (await import('./commands/web-commands.ts')).webCommand],
  ['web code', async () => (await import('./commands/web-commands.ts')).webCodeCommand],
  ['status', async () => (await node()).statusCommand],
  ['unlock', async () => (await import('./commands/lock-commands.ts')).unlockCommand],
  ['lock', async () => (await import('./commands/lock-commands.ts')).lockCommand],
  ['invite', async () => (await node()).inviteCommand],
  ['invites', async () => (await import('./commands/invites.ts')).invitesCommand],
  ['accept', async () => (await node()).acceptCommand],
  ['confirm', async () => (await import('./commands/confirm.ts')).confirmCommand],
  ['reject', async () => (await import('./commands/confirm.ts')).rejectCommand],
  ['friends', async () => (await node()).friendsCommand],
  ['peers', async () => (await node()).peersCommand],
  ['revoke', async () => (await node()).revokeCommand],
  ['unfriend', async () => (await node()).unfriendCommand],
  ['send', async () => (await node()).sendCommand],
  ['messages', async () => (await node()).messagesCommand],
  ['conversation create', async () => (await conversation()).conversationCreateCommand],
  ['conversation show', async () => (await conversation()).conversationShowCommand],
  ['conversation list', async () => (await conversation()).conversationListCommand],
  ['post', async () => (await conversation()).postCommand],
  ['vote', async () => (await conversation()).voteCommand],
  ['consensus', async () => (await conversation()).consensusCommand],
  ['archive status', async () => (await archive()).archiveStatusCommand],
  ['archive put', async () => (await archive()).archivePutCommand],
  ['archive sync', async () => (await archive()).archiveSyncCommand],
  ['archive history', async () => (await archive()).archiveHistoryCommand],
  ['archive current', async () => (await archive()).archiveCurrentCommand],
  ['archive get', async () => (await archive()).archiveGetCommand],
  ['archive rewrap', async () => (await import('./commands/archive-rewrap.ts')).archiveRewrapCommand],
  ['archive restore', async () => (await import('./commands/archive-restore.ts')).archiveRestoreCommand],
  ['backup', async () => (await import('./commands/backup-commands.ts')).backupCommand],
  ['restore', async () => (await import('./commands/backup-commands.ts')).restoreCommand],
  ['completion', async () => (await import('./commands/completion.ts')).completionCommand],
];

/** Every command, loaded (help, completion). */
export function loadAllCommands(): Promise<Command[]> {
  return Promise.all(COMMAND_LOADERS.map(([, load]) => load()));
}

/** The version of this Kith (the repository's package.json, inlined by the build). */
export const KITH_VERSION: string = rootPackage.version;

async function overview(): Promise<string> {
  const width = helpWidth();
  return (
    `kith — a friend-to-friend message network you run yourself\n\nCommands:\n${commandList(await loadAllCommands(), width)}\n\n` +
    `${wrap(
      "Run `kith COMMAND --help` for a command's options, `kith --version` for the version, `kith completion bash|zsh` for shell completion.",
      width,
    ).join('\n')}\n`
  );
}

/** The two-word commands of a group ("conversation" -> conversation create, show, list). */
async function groupOf(word: string | undefined): Promise<Command[]> {
  if (word === undefined) return [];
  return Promise.all(
    COMMAND_LOADERS.filter(([name]) => name.startsWith(`${word} `)).map(([, load]) => load()),
  );
}

async function findCommand(argv: string[]): Promise<{ command: Command; rest: string[] } | undefined> {
  const two = `${argv[0]} ${argv[1]}`;
  const byTwo = COMMAND_LOADERS.find(([name]) => name === two);
  if (byTwo) return { command: await byTwo[1](), rest: argv.slice(2) };
  const byOne = COMMAND_LOADERS.find(([name]) => name === argv[0]);
  return byOne ? { command: await byOne[1](), rest: argv.slice(1) } : undefined;
}

export async function main(argv: string[]): Promise<number> {
  const wantsJson = argv.includes('--json');
  const out = makeOutput(wantsJson);
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
      process.stdout.write(await overview());
      return argv.length === 0 ? 2 : 0;
    }
    if (argv[0] === '--version' || argv[0] === 'version') {
      process.stdout.write(
        wantsJson ? `${JSON.stringify({ version: KITH_VERSION })}\n` : `kith ${KITH_VERSION}\n`,
      );
      return 0;
    }
    const found = await findCommand(argv);
    if (!found) {
      const group = await groupOf(argv[0]);
      if (group.length === 0)
        throw new KithError('USAGE', `Unknown command "${argv[0]}". Run \`kith --help\` for the list.`);
      const asked = argv[1] === undefined || argv[1] === '--help' || argv[1] === 'help';
      if (!asked)
        throw new KithError(
          'USAGE',
          `Unknown command "${argv[0]} ${argv[1]}". Run \`kith ${argv[0]} --help\` for the list.`,
        );
      process.stdout.write(groupHelp(argv[0]!, group));
      return argv[1] === undefined ? 2 : 0;
    }
    const { command, rest } = found;
    const specs = { ...GLOBAL_FLAGS, ...command.flags };
    if (rest.includes('--help')) {
      const sub = await groupOf(command.name.includes(' ') ? undefined : command.name);
      process.stdout.write(
        commandHelp(command, specs) + (sub.length ? `\nCommands:\n${commandList(sub)}\n` : ''),
      );
      return 0;
    }
    const args = parseArgs(rest, specs, command.maxPositionals);
    // Services pick the native crypto path at boot (core itself never probes its environment).
    const { setDefaultBackend } = await import('@kith/core/crypto/index');
    setDefaultBackend((await import('@kith/core/crypto/native')).nativeBackend);
    const dataDir = resolve(typeof args.flags.data === 'string' ? args.flags.data : './data');
    await command.run({ dataDir, args, out, allCommands: loadAllCommands });
    return 0;
  } catch (e) {
    const error = isKithError(e) ? e : new KithError('INTERNAL', undefined, { cause: e });
    if (wantsJson) process.stdout.write(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
    process.stderr.write(`kith: error ${error.code}: ${error.message}\n`);
    // A real bug: its stack helps whoever reports it, at debug level (it names files, no secrets).
    if (error.code === 'INTERNAL' && debugWanted(argv))
      process.stderr.write(`${String((e as Error)?.stack)}\n`);
    return error.code === 'USAGE' ? 2 : 1;
  }
}

/** KITH_DEBUG, or a log level of debug or trace on the command line or in the environment. */
function debugWanted(argv: readonly string[]): boolean {
  const i = argv.indexOf('--log-level');
  const level = (i >= 0 ? argv[i + 1] : undefined) ?? process.env.KITH_LOG_LEVEL;
  return Boolean(process.env.KITH_DEBUG) || level === 'debug' || level === 'trace';
}
