/**
 * Help text (docs/ARCHITECTURE.md "Command line"): wrapped to the terminal's width (80 when
 * stdout is not a terminal), words never cut, a description starting on its own line when the
 * option before it is too wide to leave a gap.
 */
import type { FlagSpecs } from './args.ts';
import type { Command } from './command.ts';

const MIN_WIDTH = 40;

/** The width help is wrapped to: the terminal's columns, else 80 (KITH_HELP_WIDTH overrides). */
export function helpWidth(): number {
  const forced = Number(process.env.KITH_HELP_WIDTH);
  if (Number.isInteger(forced) && forced >= MIN_WIDTH) return forced;
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  return Math.max(MIN_WIDTH, columns ?? 80);
}

/** A summary written over several source lines is one paragraph. */
export function paragraph(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Words of `text` in lines of at most `width` (a longer word keeps its own line, whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines.length ? lines : [''];
}

/** `  left   description…` with the description wrapped and indented under itself. */
export function row(left: string, description: string, column: number, width: number): string {
  const body = wrap(description, Math.max(20, width - column));
  const pad = ' '.repeat(column);
  const first = left.length + 2 <= column ? left.padEnd(column) + body[0] : `${left}\n${pad}${body[0]}`;
  return [first, ...body.slice(1).map((l) => pad + l)].join('\n');
}

/** The first sentence of a summary (for the command list): never cut inside it. */
export function firstSentence(summary: string): string {
  const text = paragraph(summary);
  const m = /^(.+?[.!?])(\s|$)/.exec(text);
  return m ? m[1]! : text;
}

function flagLeft(name: string, kind: FlagSpecs[string]['kind']): string {
  return `  --${name}${kind === 'boolean' ? '' : kind === 'list' ? ' VALUE…' : ' VALUE'}`;
}

export function commandHelp(command: Command, specs: FlagSpecs, width = helpWidth()): string {
  const column = Math.min(
    34,
    Math.max(...Object.entries(specs).map(([n, s]) => flagLeft(n, s.kind).length)) + 2,
  );
  const options = Object.entries(specs).map(([name, s]) =>
    row(flagLeft(name, s.kind), s.description + (s.env ? ` (env ${s.env})` : ''), column, width),
  );
  const usage = wrap(command.usage, width - 7);
  return (
    `Usage: ${usage[0]}\n${usage
      .slice(1)
      .map((l) => `       ${l}\n`)
      .join('')}\n` +
    `${wrap(paragraph(command.summary), width).join('\n')}\n\nOptions:\n${options.join('\n')}\n`
  );
}

/** The list of commands: `name   first sentence of its summary`. */
export function commandList(commands: Command[], width = helpWidth()): string {
  const column = Math.max(...commands.map((c) => c.name.length)) + 4;
  return commands.map((c) => row(`  ${c.name}`, firstSentence(c.summary), column, width)).join('\n');
}

/** `kith conversation --help`: the commands of a group. */
export function groupHelp(group: string, commands: Command[], width = helpWidth()): string {
  return (
    `Usage: kith ${group} COMMAND [OPTIONS]\n\nCommands:\n${commandList(commands, width)}\n\n` +
    `${wrap(`Run \`kith ${group} COMMAND --help\` for a command's options.`, width).join('\n')}\n`
  );
}
