import { verifyLog } from '@kith/core/identity/log';
import { readIdentityLog, unlock } from '@kith/agent/keystore/index';
import { writeFileAtomic } from '@kith/agent/keystore/atomic-write';
import { type Command, flagString } from '../command.ts';
import { unlockPassphrase } from './identity-common.ts';
import { encodeLogExport } from './log-file.ts';

export const identityCommand: Command = {
  name: 'identity',
  usage: 'kith identity [--json] [--export-log FILE]',
  summary: 'Who am I: my user id, this device, and all my devices with their status.',
  flags: {
    'passphrase-file': { kind: 'string', description: 'unlock passphrase file', env: 'KITH_PASSPHRASE_FILE' },
    'export-log': { kind: 'string', description: 'also write my identity log (public, signed) to FILE' },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const device = await unlock(dataDir, await unlockPassphrase(args));
    const log = verifyLog(await readIdentityLog(dataDir, device));
    const devices = [...log.devices.values()]
      .sort((a, b) => a.certificate.index - b.certificate.index)
      .map((d) => ({
        deviceId: d.certificate.deviceId,
        index: d.certificate.index,
        name: d.certificate.name,
        status: d.status,
        addedAt: new Date(d.certificate.issuedAt).toISOString(),
        current: d.certificate.deviceId === device.header.deviceId,
      }));
    const exportPath = flagString(args, 'export-log');
    if (exportPath !== undefined) await writeFileAtomic(exportPath, encodeLogExport(log.entries), 0o644);
    const human = [
      `User:   ${log.userId}${log.name ? ` (${log.name})` : ''}`,
      `Device: ${device.header.deviceId}`,
      'Devices:',
      ...devices.map(
        (d) => `  ${d.current ? '*' : ' '} ${d.deviceId}  #${d.index}  ${d.status.padEnd(7)}  ${d.name}`,
      ),
    ].join('\n');
    out.result(
      {
        userId: log.userId,
        name: log.name,
        deviceId: device.header.deviceId,
        logLength: log.entries.length,
        devices,
      },
      human,
    );
  },
};
