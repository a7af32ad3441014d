import { createRequire } from 'node:module';
import { toQueryError } from '@kith/db/query-error';
import { pino } from 'pino';
import type PinoPretty from 'pino-pretty';

/**
 * The agent's logger: pino on stderr (stdout belongs to `--json` output, docs/DESIGN.md §12):
 * readable lines (pino-pretty) when stderr is a terminal, JSON lines otherwise (files, pipes,
 * containers, tests). Logs never carry key material (docs/DESIGN.md §1): before a line is written, every value
 * under a sensitive key is replaced by "[redacted]" at any depth, every byte array is
 * written as "<n bytes>", never as its content, and a database error is written as its
 * `QueryError` (SQL text, SQLSTATE, constraint; never the values of the query: db/query-error.ts).
 */
export type Logger = pino.Logger;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Keys whose values are secrets wherever they appear (`seed`, `rootSeed`, `privateKey`,
 * `secret`, `inviteSecret`, `psk`, `token`, `apiToken`, `phrase`, `passphrase`, ...).
 * Matched on the end of the key, case-insensitively.
 */
const SENSITIVE_KEY =
  /(seed|private_?key|secret|secret_?key|psk|token|phrase|password|mnemonic|authorization|cookie)$/i;

export const REDACTED = '[redacted]';
const MAX_DEPTH = 8;

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stderr (fd 2, synchronous so nothing is lost at exit) by default. */
  destination?: pino.DestinationStream;
  /** Bound into every line, e.g. `{ part: 'agent' }`. */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const root = pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? null,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors are already in plain form after `sanitizeForLog`; serialising again would lose `type`.
      serializers: { err: (e: unknown) => e },
      hooks: {
        // An error logged without a message lends pino its own as the line's message: the safe one.
        logMethod(args, method) {
          const [first] = args as unknown[];
          const err = first instanceof Error ? first : (first as { err?: unknown } | undefined)?.err;
          if (args.length !== 1 || !(err instanceof Error)) return method.apply(this, args);
          const message = (toQueryError(err) as Error).message;
          return method.apply(this, [first instanceof Error ? { err } : (first as object), message]);
        },
      },
      formatters: {
        bindings: (bindings) => sanitizeForLog(bindings) as Record<string, unknown>,
        log: (object) => sanitizeForLog(object) as Record<string, unknown>,
      },
    },
    options.destination ?? defaultDestination(),
  );
  // pino applies `formatters.bindings` to the root only; children (and theirs, which inherit
  // this method) get their bindings sanitised here.
  const child = root.child;
  root.child = function sanitizedChild(this: Logger, bindings, childOptions) {
    return child.call(this, sanitizeForLog(bindings) as pino.Bindings, childOptions);
  } as typeof root.child;
  return root;
}

/** stderr: pretty on a terminal, JSON lines otherwise; both synchronous, so nothing is lost at exit. */
function defaultDestination(): pino.DestinationStream {
  if (!process.stderr.isTTY) return pino.destination({ fd: 2, sync: true });
  // Loaded only for a terminal: JSON lines (services, containers, pipes) start without it.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pretty({ destination: 2, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l' });
}

/** A copy of `value` safe to log: secrets under sensitive keys and byte contents removed. */
export function sanitizeForLog(value: unknown, depth = 0, ancestors = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return `<${value.byteLength} bytes>`;
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer)
    return `<${value.byteLength} bytes>`;
  if (ancestors.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  let source: object = value;
  if (value instanceof Error) {
    // An error in plain form (type, message, stack, own fields, cause), walked like any object.
    source = plainError(value);
  } else if (!Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value);
    // Class instances (Date, URL, Map...) are written as JSON would write them.
    if (proto !== Object.prototype && proto !== null) return value;
  }
  ancestors.add(value);
  try {
    if (Array.isArray(source)) return source.map((v) => sanitizeForLog(v, depth + 1, ancestors));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(source)) {
      out[k] =
        SENSITIVE_KEY.test(k) && v !== undefined && v !== null
          ? REDACTED
          : sanitizeForLog(v, depth + 1, ancestors);
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * `e` as a plain object: type, message, stack, its own enumerable fields, and `cause` (walked
 * again, so a cause is written the same way). A database error becomes its `QueryError` first:
 * drizzle's message lists the query's values, and a driver's error keeps them and quotes row
 * values in `detail` and `where` (db/query-error.ts). Unlike pino's serializer, a cause's message
 * and stack are not merged into the outer ones, so each error of the chain is made safe alone.
 */
function plainError(value: Error): Record<string, unknown> {
  const e = toQueryError(value) as Error;
  const out: Record<string, unknown> = {
    type: e.constructor?.name || e.name,
    message: e.message,
    stack: e.stack,
  };
  for (const [k, v] of Object.entries(e)) if (!(k in out) && k !== 'cause') out[k] = v;
  const errors = (e as { errors?: unknown }).errors;
  if (Array.isArray(errors)) out.aggregateErrors = errors;
  if (e.cause !== undefined) out.cause = e.cause;
  return out;
}
