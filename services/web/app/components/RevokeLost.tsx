import { useEffect, useState } from 'preact/hooks';
import { api, type Device } from '../api.ts';
import { shortId } from '../names.ts';
import { ErrorNote } from './Errors.tsx';
import type { KeptPhrase } from './RestoreArchive.tsx';

/**
 * `kith recover --revoke`, right after a recovery (Setup): the identity's other active devices
 * are offered for revocation — the lost ones — with the phrase the page was given. Revoked first,
 * friends learn it, and the archive restore after can introduce this device as one of them
 * (docs/PROTOCOL.md §9 step 8).
 */
export function RevokeLost({ kept }: { kept: KeptPhrase }) {
  const [devices, setDevices] = useState<Device[]>([]);
  const [chosen, setChosen] = useState<string[]>([]);
  const [revoked, setRevoked] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api
      .identity()
      .then((i) => setDevices(i.devices.filter((d) => !d.current && d.status === 'active')))
      .catch(setError);
  }, []);
  if (devices.length === 0) return <ErrorNote error={error} />;

  const revoke = async (e: Event) => {
    e.preventDefault();
    const secret = kept.current;
    if (!secret) return;
    setBusy(true);
    setError(null);
    try {
      for (const id of chosen.filter((c) => !revoked.includes(c))) {
        await api.revokeDevice(id, secret.phrase, secret.bip39Passphrase);
        setRevoked((r) => [...r, id]);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel stack" onSubmit={revoke}>
      <h2>Lost devices</h2>
      <p>
        Revoke the devices you lost: they can no longer read or write as you, and your friends learn it. Leave
        any you still have.
      </p>
      <fieldset>
        <legend>Devices to revoke</legend>
        {devices.map((d) => (
          <label key={d.deviceId} class="check">
            <input
              type="checkbox"
              checked={chosen.includes(d.deviceId)}
              disabled={revoked.includes(d.deviceId)}
              onChange={(e) =>
                setChosen((c) =>
                  e.currentTarget.checked ? [...c, d.deviceId] : c.filter((x) => x !== d.deviceId),
                )
              }
            />
            {d.name || `Device ${d.index}`} <code class="id">{shortId(d.deviceId)}</code>
            {revoked.includes(d.deviceId) ? ' — revoked' : ''}
          </label>
        ))}
      </fieldset>
      <ErrorNote error={error} />
      {revoked.length > 0 ? (
        <p class="ok" role="status">
          {revoked.length} device{revoked.length === 1 ? '' : 's'} revoked.
        </p>
      ) : null}
      <button
        type="submit"
        class="danger"
        disabled={busy || kept.current === null || chosen.every((c) => revoked.includes(c))}
      >
        Revoke the checked devices
      </button>
    </form>
  );
}
