import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../keystore/atomic-write.ts';
import type { ReplayStore } from './replay-guard.ts';

// An initiator's static key (32 bytes), or that key and an invite id (48 bytes: an invite's
// hellos are ordered on their own, listener.ts). Only the first was read back once, so a restart
// forgot every invite hello it had answered.
const KEY = /^(?:[0-9a-f]{64}|[0-9a-f]{96})$/;
const NANOS = /^[0-9]{1,30}$/;
/** More entries than this in a file is not a file this code wrote: it is ignored. */
const MAX_ENTRIES = 100_000;

/**
 * The replay guard file's text to its entries, without file I/O (fuzzed on its own,
 * docs/SECURITY.md "Fuzzing"): text that is not the expected JSON counts as empty, and entries
 * of the wrong shape are skipped.
 */
export function parseReplayFile(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return out;
  }
  // JSON null, a number or an array is a damaged file too (null once threw here and stopped the node).
  if (typeof parsed !== 'object' || parsed === null) return out;
  const { v, last } = parsed as { v?: unknown; last?: unknown };
  if (v !== 1 || typeof last !== 'object' || last === null) return out;
  const entries = Object.entries(last as Record<string, unknown>);
  if (entries.length > MAX_ENTRIES) return out;
  for (const [key, t] of entries) {
    if (KEY.test(key) && typeof t === 'string' && NANOS.test(t)) out.set(key, BigInt(t));
  }
  return out;
}

/**
 * The replay guard's memory in the data directory (`link-replay.json`, docs/SECURITY.md
 * "Replays"): `{ "v": 1, "last": { <initiator static key [+ invite id], hex>: "<TAI64N as Unix ns>" } }`,
 * written atomically after each accepted hello, before message 2 is sent. It holds only public
 * keys and times. A missing, unreadable or malformed file counts as empty.
 */
export function replayFile(path: string): ReplayStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        return new Map();
      }
      return parseReplayFile(text);
    },
    async save(entries) {
      const last: Record<string, string> = {};
      for (const [key, t] of entries) last[key] = t.toString();
      await writeFileAtomic(path, `${JSON.stringify({ v: 1, last })}\n`);
    },
  };
}
