import type { FlagSpecs, Parsed } from './args.ts';
import { type Output, readSecretFile } from './io.ts';

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

/**
 * The seed phrase and BIP39 passphrase from `--phrase-file` and `--bip39-passphrase-file`, as
 * the agent's phrase-taking bodies want them (a field only when its flag was given).
 */
export async function phraseFlags(args: Parsed): Promise<{ phrase?: string; bip39Passphrase?: string }> {
  const phraseFile = flagString(args, 'phrase-file');
  const b39 = flagString(args, 'bip39-passphrase-file');
  return {
    ...(phraseFile === undefined ? {} : { phrase: await readSecretFile(phraseFile, 'phrase') }),
    ...(b39 === undefined ? {} : { bip39Passphrase: await readSecretFile(b39, 'BIP39 passphrase') }),
  };
}

export function flagList(args: Parsed, name: string): string[] {
  const v = args.flags[name];
  return Array.isArray(v) ? v : [];
}
