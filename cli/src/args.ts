/**
 * A small, strict argument parser: every flag is declared, unknown flags and missing values
 * are usage errors (exit 2) with a sentence that says what was expected.
 */
import { KithError } from '@kith/core/errors';

export type FlagKind = 'string' | 'boolean' | 'list';
export interface FlagSpec {
  kind: FlagKind;
  description: string;
  env?: string;
}
export type FlagSpecs = Record<string, FlagSpec>;

export interface Parsed {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseArgs(argv: string[], specs: FlagSpecs, maxPositionals: number): Parsed {
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new KithError('USAGE', `Unknown option --${name}. Run with --help to see the options.`);
    if (spec.kind === 'boolean') {
      if (eq !== -1) throw new KithError('USAGE', `--${name} takes no value.`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--'))
        throw new KithError('USAGE', `--${name} needs a value.`);
      i++;
    }
    if (spec.kind === 'list') {
      const list = (flags[name] as string[] | undefined) ?? [];
      list.push(value);
      // A list flag also takes the plain words after it: --revoke A B C
      while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) list.push(argv[++i]!);
      flags[name] = list;
    } else {
      if (flags[name] !== undefined) throw new KithError('USAGE', `--${name} was given twice.`);
      flags[name] = value;
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (
      flags[name] === undefined &&
      spec.env &&
      process.env[spec.env] !== undefined &&
      process.env[spec.env] !== ''
    ) {
      flags[name] = spec.kind === 'boolean' ? true : process.env[spec.env];
    }
  }
  if (positionals.length > maxPositionals) {
    throw new KithError('USAGE', `Unexpected argument "${positionals[maxPositionals]}".`);
  }
  return { flags, positionals };
}
