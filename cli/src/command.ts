import type { FlagSpecs, Parsed } from './args.ts';
import type { Output } from './io.ts';

export interface CommandContext {
  dataDir: string;
  args: Parsed;
  out: Output;
  /** Every command of the table (for `kith completion`). */
  allCommands: () => Promise<Command[]>;
}

export interface Command {
  /** One or two words: "init", "archive status". */
  name: string;
  usage: string;
  summary: string;
  flags: FlagSpecs;
  maxPositionals: number;
  run(ctx: CommandContext): Promise<void>;
}

/** Every command takes these (docs/DESIGN.md §12). */
export const GLOBAL_FLAGS: FlagSpecs = {
  data: { kind: 'string', description: 'data directory (default ./data)', env: 'KITH_DATA' },
  json: { kind: 'boolean', description: 'print exactly one JSON document on stdout' },
  help: { kind: 'boolean', description: 'show this help' },
};

export function flagString(args: Parsed, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function flagList(args: Parsed, name: string): string[] {
  const v = args.flags[name];
  return Array.isArray(v) ? v : [];
}
