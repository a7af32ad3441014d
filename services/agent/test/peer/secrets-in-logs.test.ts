/**
 * No secret in a log line, at the most talkative level (docs/SECURITY.md "Logs and errors"): two
 * real nodes in this process (real links on loopback, each on its own database) log at `trace`
 * into memory while they pair through the local API, send a message, make an invite with a short
 * code, cancel it, and answer a bad request. Then every line is scanned for each secret they held
 * or were given: seeds and phrases, device keys, the storage key, API tokens, the invite codes
 * and their secrets, the short code, the message's text.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { decodeInvite } from '@kith/core/pairing/invite-code';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterDatabases, waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir, testDatabaseKinds } from '../../../../test/helpers/database.ts';
import { startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import { type CapturedLogs, captureLogs, findSecret } from '../../../../test/helpers/log-capture.ts';
import type { RunningNode } from '../../src/node.ts';

const HOSTS = { pglite: ['127.0.0.201', '127.0.0.202'], postgres: ['127.0.0.203', '127.0.0.204'] } as const;

describe.each(testDatabaseKinds())('no secret reaches a log line at trace level (%s)', (kind) => {
  const databases = new ClusterDatabases(kind);
  const logs: CapturedLogs[] = [captureLogs('trace'), captureLogs('trace')];
  const phrases = [generatePhrase(random), generatePhrase(random)];
  let a: RunningNode;
  let b: RunningNode;

  function random(n: number): Uint8Array {
    return new Uint8Array(randomBytes(n));
  }

  async function call<T>(node: RunningNode, method: 'GET' | 'POST', url: string, payload?: object) {
    const res = await node.agent.api.inject({
      method,
      url: `/api${url}`,
      headers: { authorization: `Bearer ${node.agent.apiToken}` },
      ...(payload ? { payload } : {}),
    });
    return { status: res.statusCode, body: res.json() as T };
  }

  beforeAll(async () => {
    const dir = await makeTempDir('kith-log-secrets-');
    const started = await Promise.all(
      (['a', 'b'] as const).map(async (name, i) =>
        startInProcessNode(join(dir, name), HOSTS[kind][i]!, {
          seed: phraseToSeed(phrases[i]!),
          databaseUrl: await databases.urlFor('kith_log_secrets'),
          logger: logs[i]!.logger,
        }),
      ),
    );
    [a, b] = [started[0]!, started[1]!];
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown()]);
    await databases.dispose();
  }, 60_000);

  it('pair, send, invite with a short code, cancel: every line is free of every secret', async () => {
    const secrets: Record<string, string | Uint8Array> = {};
    for (const [i, n] of [a, b].entries()) {
      const device = n.node.options.device;
      Object.assign(secrets, {
        [`phrase ${i}`]: phrases[i]!,
        [`phrase ${i}, three words`]: phrases[i]!.split(' ').slice(3, 6).join(' '),
        [`seed ${i}`]: phraseToSeed(phrases[i]!),
        [`signing seed ${i}`]: device.keys.signing.seed,
        [`agreement key ${i}`]: device.keys.agreement.privateKey,
        [`storage key ${i}`]: device.storageKey,
        [`api token ${i}`]: n.agent.apiToken,
      });
    }

    // Pair through the API, both people confirming the six digits.
    const invite = await call<{ code: string }>(a, 'POST', '/invites', { role: 'friend' });
    expect(invite.status).toBe(200);
    secrets['invite code'] = invite.body.code;
    secrets['invite secret'] = decodeInvite(invite.body.code).secret;
    const accepted = await call<{ userId: string }>(b, 'POST', '/pairing/accept', { code: invite.body.code });
    expect(accepted.status).toBe(200);
    expect((await call(b, 'POST', `/friends/${a.node.userId}/confirm`)).status).toBe(200);
    await waitFor('A holds B as pending', async () =>
      (await call<{ userId: string }[]>(a, 'GET', '/friends/pending')).body.some(
        (p) => p.userId === b.node.userId,
      ),
    );
    expect((await call(a, 'POST', `/friends/${b.node.userId}/confirm`)).status).toBe(200);

    // A message both ways' worth of logging: sent by A, read by B.
    const text = `the meeting moved to the old mill at nine ${randomBytes(4).toString('hex')}`;
    secrets['message text'] = text;
    expect((await call(a, 'POST', '/messages', { to: b.node.userId, text })).status).toBe(200);
    await waitFor('B has the message', async () =>
      (await call<{ text: string }[]>(b, 'GET', '/messages')).body.some((m) => m.text === text),
    );

    // An invite with a short code, then cancelled; a code that is not one.
    const short = await call<{ id: string; code: string; shortCode: string }>(a, 'POST', '/invites', {
      role: 'friend',
      short: true,
    });
    expect(short.status).toBe(200);
    secrets['second invite code'] = short.body.code;
    secrets['second invite secret'] = decodeInvite(short.body.code).secret;
    secrets['short code'] = short.body.shortCode;
    secrets['short code words'] = short.body.shortCode.split('-').slice(1).join('-');
    expect((await call(a, 'POST', '/invites/cancel', { id: short.body.id })).status).toBe(200);
    const mangled = `${invite.body.code.slice(0, -3)}AAA`;
    secrets['mangled code'] = mangled;
    expect((await call(b, 'POST', '/pairing/accept', { code: mangled })).status).toBeGreaterThanOrEqual(400);

    // Something was logged at every level the flow reached, including debug and below.
    const all = logs.map((l) => l.text()).join('\n');
    expect(logs.flatMap((l) => l.lines()).some((l) => (l.level as number) <= 20)).toBe(true);
    expect(all).toContain('friend confirmed');
    expect(findSecret(all, secrets)).toBeUndefined();
  }, 180_000);
});
