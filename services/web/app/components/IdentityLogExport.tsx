import { fromHex } from '@kith/core/crypto/bytes';
import { encodeLogExport } from '@kith/core/identity/log-export';
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { saveFile, today } from '../download.ts';
import { ErrorNote } from './Errors.tsx';

/** `kith identity --export-log`: my public, signed identity log as a file (`kith recover --log`). */
export function IdentityLogExport() {
  const [done, setDone] = useState('');
  const [error, setError] = useState<unknown>(null);
  const exportLog = async () => {
    setError(null);
    try {
      const log = await api.identityLog();
      const bytes = encodeLogExport(log.entries.map(fromHex));
      const name = `kith-identity-log-${today()}.cbor`;
      saveFile(name, new Blob([new Uint8Array(bytes)], { type: 'application/cbor' }));
      setDone(`Identity log saved as ${name} (${log.entries.length} entries; public, signed).`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div class="panel stack">
      <h2>My identity log</h2>
      <p class="hint">
        The signed list of my devices, public: for <code>kith recover --log</code> or to check a device.
      </p>
      <button type="button" class="secondary" onClick={() => void exportLog()}>
        Export my identity log
      </button>
      {done ? <p role="status">{done}</p> : null}
      <ErrorNote error={error} />
    </div>
  );
}
