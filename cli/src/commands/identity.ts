import { connectAgent } from '@kith/api/locate-agent';
import { fromHex } from '@kith/core/crypto/bytes';
import { isKithError } from '@kith/core/errors';
import { type LogState, verifyLog } from '@kith/core/identity/log';
import { readIdentityLog, unlock } from '@kith/agent/keystore/index';
import { writeFileAtomic } from '@kith/agent/keystore/atomic-write';
import type { Parsed } from '../args.ts';
import { type Command, flagString } from '../command.ts';
import { unlockPassphrase } from './identity-common.ts';
import { encodeLogExport } from './log-file.ts';

export const identityCommand: Command = {
  name: 'identity',
  usage: 'kith identity [--json] [--export-log FILE]',
  summary: 'Who am I: my user id, this device, and all my devices with their status.',
  flags: {
    'passphrase-file': {
      kind: 'string',
      description: 'unlock passphrase file (read only when the agent is not running)',
      env: 'KITH_PASSPHRASE_FILE',
    },
    'export-log': { kind: 'string', description: 'also write my identity log (public, signed) to FILE' },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const { log, deviceId } = await ownLog(dataDir, args);
    const devices = [...log.devices.values()]
      .sort((a, b) => a.certificate.index - b.certificate.index)
      .map((d) => ({
        deviceId: d.certificate.deviceId,
        index: d.certificate.index,
        name: d.certificate.name,
        status: d.status,
        addedAt: new Date(d.certificate.issuedAt).toISOString(),
        current: d.certificate.deviceId === deviceId,
      }));
    const exportPath = flagString(args, 'export-log');
    if (exportPath !== undefined) await writeFileAtomic(exportPath, encodeLogExport(log.entries), 0o644);
    const human = [
      `User:   ${log.userId}${log.name ? ` (${log.name})` : ''}`,
      `Device: ${deviceId}`,
      'Devices:',
      ...devices.map(
        (d) => `  ${d.current ? '*' : ' '} ${d.deviceId}  #${d.index}  ${d.status.padEnd(7)}  ${d.name}`,
      ),
    ].join('\n');
    out.result(
      {
        userId: log.userId,
        name: log.name,
        deviceId,
        logLength: log.entries.length,
        devices,
      },
      human,
    );
  },
};

/**
 * My identity log and this device's id: from the running agent when there is one (no passphrase
 * while it runs; the log is verified here as it is read from disk), else from the data directory,
 * which unlocks the key file.
 */
async function ownLog(dataDir: string, args: Parsed): Promise<{ log: LogState; deviceId: string }> {
  try {
    const agent = await connectAgent(dataDir);
    const [{ deviceId }, { entries }] = await Promise.all([agent.identity(), agent.identityLog()]);
    return { log: verifyLog(entries.map(fromHex)), deviceId };
  } catch (e) {
    // Not running (or a stale api.json after a crash), or no such directory: the key file's
    // reader says what is missing.
    if (!isKithError(e, 'AGENT_NOT_RUNNING') && !isKithError(e, 'DATA_DIR_MISSING')) throw e;
  }
  const device = await unlock(dataDir, await unlockPassphrase(args));
  return { log: verifyLog(await readIdentityLog(dataDir, device)), deviceId: device.header.deviceId };
}
