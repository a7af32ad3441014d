/**
 * The agent's real logger writing into memory, and the forms a secret could take in a log line,
 * for the tests that scan logs for what must never be there (docs/SECURITY.md "Logs and errors").
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogLevel } from '../../services/agent/src/logger.ts';

export interface CapturedLogs {
  logger: Logger;
  /** Every line written so far, joined. */
  text(): string;
  /** Every line written so far, parsed. */
  lines(): Record<string, unknown>[];
}

export function captureLogs(level: LogLevel = 'trace'): CapturedLogs {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return {
    logger: createLogger({ level, destination }),
    text: () => lines.join('\n'),
    lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/**
 * The ways a secret may show in text: itself; bytes also as hex, base64 (both alphabets), a
 * decimal list ("83,69,…": a `Uint8Array` turned into a string), and as text (a `Buffer` turned
 * into a string) when that is printable.
 */
export function secretForms(secret: string | Uint8Array): string[] {
  if (typeof secret === 'string') return [secret];
  const b = Buffer.from(secret);
  const forms = [b.toString('hex'), b.toString('base64'), b.toString('base64url'), [...secret].join(',')];
  const text = b.toString('utf8');
  if (/^[\x20-\x7e]{8,}$/.test(text)) forms.push(text);
  return forms;
}

/** Names the first form of the first secret found in `text`, or undefined when none is there. */
export function findSecret(text: string, secrets: Record<string, string | Uint8Array>): string | undefined {
  for (const [name, secret] of Object.entries(secrets))
    for (const form of secretForms(secret))
      if (form.length >= 6 && text.includes(form)) return `${name} (${form})`;
  return undefined;
}
