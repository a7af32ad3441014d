/**
 * What a thief learns (docs/SECURITY.md "What a thief learns"): from a device's data dir (key
 * file, erasure keys, database) and the items a relay or a wiretap recorded, every message text
 * it can open. Shared by the forward-secrecy and revocation tests.
 */
import { randomBytes } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgreementKeyPair } from '@kith/core/identity/derive';
import { openVerifiedChatMessage, verifyChatMessage } from '@kith/core/messaging/chat-message';
import { openEpochKey } from '@kith/core/messaging/epoch-key';
import { openDatabase } from '@kith/db/database';
import { devicePrekeys, epochKeys } from '@kith/db/schema';
import { ErasureKeys, erasureKeysPath } from '../../src/keystore/erasure-keys.ts';
import { unlock } from '../../src/keystore/index.ts';
import type { RunningNode } from '../../src/node.ts';
import { openBox } from '../../src/peer/sealed-box.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

export interface Captured {
  kind: string;
  item: Uint8Array;
}

/** Records every item delivered to this node, as a relay holding them would keep them. */
export function wiretap(n: RunningNode, into: Captured[]): void {
  const original = n.node.delivery!;
  n.node.delivery = {
    ...original,
    onDeliver: (session, m) => {
      into.push({ kind: m.kind, item: m.item });
      return original.onDeliver(session, m);
    },
  };
}

/** What a thief learns from a copy of a data dir and old database rows it may also hold. */
export async function thiefOpens(
  copy: string,
  captured: Captured[],
  oldRows: { epochs: (typeof epochKeys.$inferSelect)[]; prekeys: (typeof devicePrekeys.$inferSelect)[] } = {
    epochs: [],
    prekeys: [],
  },
  /** On Postgres the database is not in the data dir: the thief reads it (at T or later) here. */
  databaseUrl?: string,
): Promise<Map<string, string>> {
  const device = await unlock(copy, undefined);
  const erasure = new ErasureKeys(erasureKeysPath(copy), () => device.storageKey, random);
  const opened = new Map<string, Uint8Array>(); // epoch id (hex) -> key
  const agreement: AgreementKeyPair[] = [device.keys.agreement];
  const tryOpen = async (bucket: number | null, purpose: string, sealed: Uint8Array) => {
    try {
      return bucket === null
        ? openBox(device.storageKey, purpose, sealed)
        : await erasure.open(bucket, purpose, sealed);
    } catch {
      return undefined;
    }
  };
  const db = await openDatabase({ dataDir: copy, databaseUrl });
  try {
    const epochs = [...(await db.db.select().from(epochKeys)), ...oldRows.epochs];
    for (const r of epochs) {
      const key = await tryOpen(r.eraseBucket, 'epoch-key', r.keySealed);
      if (key) opened.set(Buffer.from(r.epochId).toString('hex'), key);
    }
    const prekeys = [...(await db.db.select().from(devicePrekeys)), ...oldRows.prekeys];
    for (const r of prekeys) {
      const privateKey = await tryOpen(r.eraseBucket, 'prekey', r.privateSealed);
      if (privateKey) agreement.push({ privateKey, publicKey: r.publicKey });
    }
  } finally {
    await db.close();
  }
  for (const c of captured.filter((x) => x.kind === 'epoch-key')) {
    try {
      const e = await openEpochKey(c.item, agreement);
      opened.set(Buffer.from(e.epoch).toString('hex'), e.key);
    } catch {
      // sealed to keys the thief does not have
    }
  }
  const texts = new Map<string, string>(); // message text -> epoch
  for (const c of captured.filter((x) => x.kind === 'message')) {
    const header = verifyChatMessage(c.item);
    const key = opened.get(Buffer.from(header.epoch).toString('hex'));
    if (!key) continue;
    const body = openVerifiedChatMessage(c.item, key).body;
    if (body.t === 'text') texts.set(body.text, Buffer.from(header.epoch).toString('hex'));
  }
  return texts;
}

/** Every file under a directory. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    if ((await stat(p)).isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

export async function containsBytes(dir: string, needle: Uint8Array): Promise<boolean> {
  for (const f of await filesUnder(dir)) if ((await readFile(f)).includes(Buffer.from(needle))) return true;
  return false;
}
