import { describe, expect, it } from 'vitest';
import { connectLink } from '../../src/link/connect.ts';
import type { Link } from '../../src/link/link.ts';
import {
  allow,
  clock,
  freshKeyPair,
  nextMessage,
  seededRandom,
  startNode,
  timestamps,
  until,
} from './helpers.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('one link per device pair', () => {
  for (let round = 0; round < 4; round++) {
    it(`simultaneous links both ways settle on the one started by the lower key (round ${round})`, async () => {
      const a = await startNode({}, freshKeyPair(`tie-a-${round}`));
      const b = await startNode({}, freshKeyPair(`tie-b-${round}`));
      allow(a, b.keys);
      allow(b, a.keys);
      try {
        const dial = (from: typeof a, to: typeof a) =>
          connectLink({
            url: to.url,
            staticKeyPair: from.keys,
            remoteStaticKey: to.keys.publicKey,
            clock,
            random: seededRandom(`dial-${round}-${hex(from.keys.publicKey)}`),
            timestamps: timestamps(),
            registry: from.registry,
          });
        const results = await Promise.allSettled([dial(a, b), dial(b, a)]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);

        const settled = () => {
          const [la, lb] = [a.registry.all(), b.registry.all()];
          return la.length === 1 && lb.length === 1 && la[0]!.sameLinkAs(lb[0]!);
        };
        await until(settled);
        const linkA: Link = a.registry.get(b.keys.publicKey)!;
        const linkB: Link = b.registry.get(a.keys.publicKey)!;
        const lower =
          Buffer.compare(Buffer.from(a.keys.publicKey), Buffer.from(b.keys.publicKey)) < 0 ? a : b;
        expect(hex(linkA.initiatorStaticKey)).toBe(hex(lower.keys.publicKey));
        expect(hex(linkB.initiatorStaticKey)).toBe(hex(lower.keys.publicKey));

        // Every other link that came up has closed as superseded, and the kept one carries messages.
        const got = nextMessage(linkB);
        linkA.send(Uint8Array.of(round));
        expect([...(await got)]).toEqual([round]);
        expect(a.registry.all()).toHaveLength(1);
        expect(b.registry.all()).toHaveLength(1);
      } finally {
        await a.close();
        await b.close();
      }
    });
  }

  it('a second link started by the same device replaces the first', async () => {
    const server = await startNode();
    const me = freshKeyPair('redial');
    allow(server, me);
    // One timestamp source: with the fixed test clock, each hello is 1 ns later than the last.
    const stamps = timestamps();
    let attempt = 0;
    const dial = () =>
      connectLink({
        url: server.url,
        staticKeyPair: me,
        remoteStaticKey: server.keys.publicKey,
        clock,
        random: seededRandom(`redial-${attempt++}`),
        timestamps: stamps,
      });
    try {
      const first = await dial();
      await until(() => server.links.length === 1);
      const second = await dial();
      expect((await first.closed).reason).toBe('superseded');
      await until(() => server.registry.all().length === 1 && server.links.length === 2);
      expect(server.registry.get(me.publicKey)!.sameLinkAs(second)).toBe(true);
      second.close();
    } finally {
      await server.close();
    }
  });
});
