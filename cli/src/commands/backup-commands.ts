/** `kith backup` and `kith restore` (docs/ARCHITECTURE.md "Backup and restore"). */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { restoreBackup } from '@kith/agent/backup/backup';
import { parseConfig } from '@kith/agent/config';
import { openDatabase } from '@kith/db/database';
import { KithError } from '@kith/core/errors';
import { API_PREFIX, ROUTES } from '@kith/api';
import { connectAgent, locateAgent } from '@kith/api/locate-agent';
import { type Command, flagString } from '../command.ts';
import { readSecretFile } from '../io.ts';

const PASSPHRASE_FLAG = {
  kind: 'string',
  description: 'file holding the backup passphrase (/dev/stdin works)',
  env: 'KITH_BACKUP_PASSPHRASE_FILE',
} as const;

async function backupPassphrase(file: string | undefined): Promise<string> {
  if (file === undefined) {
    throw new KithError(
      'USAGE',
      'Give --passphrase-file F: the backup is sealed under that passphrase; keep it apart from the backup.',
    );
  }
  return readSecretFile(file, 'backup passphrase');
}

export const backupCommand: Command = {
  name: 'backup',
  usage: 'kith backup --out FILE --passphrase-file F',
  summary:
    'Write one file with this device’s keys (as stored) and a consistent dump of its database,\n' +
    'sealed under a passphrase, while the agent runs. --out - writes to stdout.',
  flags: {
    out: { kind: 'string', description: 'file to write (- for stdout)' },
    'passphrase-file': PASSPHRASE_FLAG,
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const target = flagString(args, 'out');
    if (target === undefined)
      throw new KithError('USAGE', 'backup needs --out FILE (or --out - for stdout).');
    const passphrase = await backupPassphrase(flagString(args, 'passphrase-file'));
    const agent = await connectAgent(dataDir);
    const response = await agent.stream('backup', { body: { passphrase } });
    if (!response.body) throw new KithError('INTERNAL', 'The agent sent an empty backup.');
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    if (target === '-') {
      await pipeline(body, process.stdout, { end: false });
      out.note('kith: backup written to stdout.');
      return;
    }
    const tmp = `${target}.${process.pid}.tmp`;
    try {
      await pipeline(body, createWriteStream(tmp, { mode: 0o600 }));
      await rename(tmp, target);
    } catch (cause) {
      await rm(tmp, { force: true });
      throw new KithError('INTERNAL', 'The backup stopped before it was complete; nothing was written.', {
        cause,
      });
    }
    out.result({ file: target }, `Backup written to ${target}. Keep the passphrase apart from it.`);
  },
};

/** A running agent of this data dir answers on its API: restoring under it would corrupt both. */
async function agentAnswers(dataDir: string): Promise<boolean> {
  let url: string;
  try {
    url = (await locateAgent(dataDir)).url;
  } catch {
    return false;
  }
  try {
    const r = await fetch(`${url}${API_PREFIX}${ROUTES.health.path}`, { signal: AbortSignal.timeout(3000) });
    return r.ok || r.status === 503;
  } catch {
    return false;
  }
}

export const restoreCommand: Command = {
  name: 'restore',
  usage: 'kith restore FILE --passphrase-file F [--replace]',
  summary:
    'Bring back a backup (identity, friends, messages, archive) into this data directory and its\n' +
    'database (DATABASE_URL, else PGlite), with the agent stopped. FILE - reads stdin.',
  flags: {
    'passphrase-file': PASSPHRASE_FLAG,
    replace: { kind: 'boolean', description: 'overwrite an identity already in the data directory' },
  },
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const file = args.positionals[0];
    if (!file) throw new KithError('USAGE', 'restore needs the backup FILE (or - for stdin).');
    const passphrase = await backupPassphrase(flagString(args, 'passphrase-file'));
    if (await agentAnswers(dataDir)) {
      throw new KithError(
        'RESTORE_REFUSED',
        'The agent of this data directory is running: stop it first (docker compose stop agent consensus web).',
      );
    }
    const config = parseConfig({ flags: { data: dataDir } });
    const source = file === '-' ? process.stdin : createReadStream(file);
    source.on('error', () => {});
    if (file !== '-') {
      await new Promise<void>((resolve, reject) => {
        (source as ReturnType<typeof createReadStream>).once('open', () => resolve());
        source.once('error', (e: NodeJS.ErrnoException) =>
          reject(new KithError('FILE_UNREADABLE', `Cannot read the backup file ${file} (${e.code}).`)),
        );
      });
    }
    const database = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      pgliteThread: config.pgliteWorker ? 'worker' : 'main',
    });
    // Progress on a terminal: how much of the file went into the database (stdin: no total).
    const { bytesProgress, countingStream, progressLine } = await import('../progress.ts');
    const progress = progressLine(out);
    const total = file === '-' ? undefined : (await stat(file).catch(() => undefined))?.size;
    const counted = progress.shown
      ? source.pipe(countingStream((n) => progress.update(`Restoring: ${bytesProgress(n, total)}`)))
      : source;
    try {
      await database.migrate();
      const r = await restoreBackup(counted, {
        dataDir: config.dataDir,
        database,
        passphrase,
        replace: args.flags.replace === true,
      });
      progress.done();
      out.result(
        r,
        `Restored ${r.userId}, device ${r.deviceId} (backup of ${r.createdAt}): ${r.rows} rows in ${r.tables} tables, ${r.files} key files.\nStart the agent again.`,
      );
    } finally {
      progress.done();
      await database.close();
    }
  },
};
