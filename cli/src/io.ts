import { readFile } from 'node:fs/promises';
import { KithError } from '@kith/core/errors';

/** Reads a secret from a file: a single trailing newline is dropped; never echoed anywhere. */
export async function readSecretFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KithError('FILE_UNREADABLE', `Cannot read the ${what} file ${path} (${code ?? 'error'}).`);
  }
  text = text.replace(/\r?\n$/, '');
  if (text.length === 0) throw new KithError('INVALID_INPUT', `The ${what} file ${path} is empty.`);
  return text;
}

export interface Output {
  json: boolean;
  /** Prints the command's result: one JSON document with --json, else the human text. */
  result(value: unknown, human: string): void;
  /** Human notes go to stderr, so stdout stays one JSON document. */
  note(text: string): void;
}

export function makeOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
    },
    note(text) {
      process.stderr.write(`${text}\n`);
    },
  };
}
