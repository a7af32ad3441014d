/**
 * `kith completion bash|zsh`: a completion script made from the command table, so it knows
 * every command, subcommand and option. zsh runs the bash function through bashcompinit.
 */
import { KithError } from '@kith/core/errors';
import { type Command, GLOBAL_FLAGS } from '../command.ts';

function words(list: Iterable<string>): string {
  return [...list].join(' ');
}

export function bashCompletion(commands: Command[]): string {
  const top = new Set(commands.map((c) => c.name.split(' ')[0]!));
  const groups = new Map<string, string[]>();
  for (const c of commands) {
    const [head, sub] = c.name.split(' ');
    if (sub !== undefined) groups.set(head!, [...(groups.get(head!) ?? []), sub]);
  }
  const flagsOf = (c: Command) => words(Object.keys({ ...GLOBAL_FLAGS, ...c.flags }).map((f) => `--${f}`));
  const cases = commands.map((c) => {
    const sub = groups.get(c.name);
    return `    "${c.name}") words="${flagsOf(c)}${sub ? ` ${words(sub)}` : ''}" ;;`;
  });
  for (const [group, subs] of groups)
    if (!commands.some((c) => c.name === group)) cases.push(`    "${group}") words="${words(subs)}" ;;`);
  return `# kith shell completion (bash). Load it with: source <(kith completion bash)
_kith() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local words=""
  if [ "$COMP_CWORD" -le 1 ]; then
    words="${words(top)} --help --version"
  else
    local key="\${COMP_WORDS[1]}"
    case " ${words(groups.keys())} " in
      *" \${COMP_WORDS[1]} "*) if [ "$COMP_CWORD" -ge 3 ]; then key="\${COMP_WORDS[1]} \${COMP_WORDS[2]}"; fi ;;
    esac
    case "$key" in
${cases.join('\n')}
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _kith kith
`;
}

export function zshCompletion(commands: Command[]): string {
  return `# kith shell completion (zsh). Load it with: source <(kith completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(commands).split('\n').slice(1).join('\n')}`;
}

export const completionCommand: Command = {
  name: 'completion',
  usage: 'kith completion bash|zsh',
  summary:
    'Print a shell completion script for commands, subcommands and options. Load it with ' +
    '`source <(kith completion bash)` (or zsh), or add that line to ~/.bashrc or ~/.zshrc.',
  flags: {},
  maxPositionals: 1,
  async run({ args, allCommands }) {
    const shell = args.positionals[0];
    if (shell !== 'bash' && shell !== 'zsh')
      throw new KithError('USAGE', 'Say which shell: kith completion bash, or kith completion zsh.');
    const commands = await allCommands();
    process.stdout.write(shell === 'bash' ? bashCompletion(commands) : zshCompletion(commands));
  },
};
