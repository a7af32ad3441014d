/**
 * DATA/port-windows.json read back (port-windows.ts writes it):
 *   { own: { gen, key: hex }, peers: { <deviceId>: { gen, key: hex | null, periodMs, openMs } } }
 * Pure, without file I/O, so the fuzzer runs it on its own (docs/SECURITY.md "Fuzzing"). A
 * damaged file never stops the node: text that is not JSON is "empty" (the reader warns and makes
 * a new key), a damaged own key is left out (a new one is made), a damaged peer entry is skipped.
 */
import { fromHex } from '@kith/core/crypto/index';
import { WINDOW_KEY_BYTES, checkSchedule } from '@kith/core/net/port-window';

/** A peer's window key and schedule (key null: it listens all the time). */
export interface PeerWindow {
  gen: number;
  key: Uint8Array | null;
  periodMs: number;
  openMs: number;
}

export interface PortWindowsFile {
  /** This node's own key, when the file holds a sound one. */
  own: { gen: number; key: Uint8Array } | undefined;
  peers: Map<string, PeerWindow>;
}

export function parsePortWindowsFile(text: string): PortWindowsFile | 'empty' {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'empty';
  }
  const data = parsed as {
    own?: { gen?: unknown; key?: unknown };
    peers?: Record<string, { gen?: unknown; key?: unknown; periodMs?: unknown; openMs?: unknown }>;
  } | null;
  const ownKey = typeof data?.own?.key === 'string' ? safeHex(data.own.key) : undefined;
  const own =
    ownKey?.length === WINDOW_KEY_BYTES && Number.isSafeInteger(data?.own?.gen)
      ? { gen: data!.own!.gen as number, key: ownKey }
      : undefined;
  const peers = new Map<string, PeerWindow>();
  for (const [deviceId, p] of Object.entries(data?.peers ?? {})) {
    // A damaged file may hold anything here (JSON null once threw and stopped the node).
    if (typeof p !== 'object' || p === null) continue;
    const key = p.key === null ? null : typeof p.key === 'string' ? safeHex(p.key) : undefined;
    if (key === undefined || (key !== null && key.length !== WINDOW_KEY_BYTES)) continue;
    if (!Number.isSafeInteger(p.gen)) continue;
    try {
      const s = checkSchedule({ periodMs: p.periodMs as number, openMs: p.openMs as number });
      peers.set(deviceId, { gen: p.gen as number, key, ...s });
    } catch {}
  }
  return { own, peers };
}

function safeHex(s: string): Uint8Array | undefined {
  try {
    return /^[0-9a-f]*$/.test(s) && s.length % 2 === 0 ? fromHex(s) : undefined;
  } catch {
    return undefined;
  }
}
