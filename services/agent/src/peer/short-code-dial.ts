/**
 * Acceptor side of a short code (docs/PROTOCOL.md §9a): find the inviter's listener on the LAN by
 * the code's number, run CPace on the words, check the inviter's confirmation, confirm, and
 * receive the long invite code sealed under the run's key. The caller then pairs with that long
 * code exactly as if it had been typed.
 */
import { connect } from 'node:net';
import { KithError } from '@kith/core/errors';
import { lanIdentifier, lanWindow, parseShortCode } from '@kith/core/pairing/short-code';
import { acceptorFinish, acceptorStart, openLongCode } from '@kith/core/pairing/short-code-pake';
import {
  PakeConfirmMessage,
  PakeHelloMessage,
  PakeInviteMessage,
  PakeReplyMessage,
} from '@kith/core/wire/short-pairing';
import { findOnLan, lanInterface } from './lan-announce.ts';
import { FrameReader, writeFrame } from './short-code-frames.ts';

const FIND_TIMEOUT_MS = 10_000;
const STEP_TIMEOUT_MS = 15_000;

export async function dialShortCode(
  typed: string,
  env: { clock: () => number; random: (n: number) => Uint8Array; options: { host: string } },
): Promise<string> {
  const code = parseShortCode(typed);
  const window = lanWindow(env.clock());
  // This window's name and the previous one's: the two clocks may straddle a boundary.
  const labels = [lanIdentifier(code.nameplate, window), lanIdentifier(code.nameplate, window - 1)];
  const iface = lanInterface(env.options.host);
  const where = await findOnLan(labels, { timeoutMs: FIND_TIMEOUT_MS, ...(iface ? { iface } : {}) });
  const socket = connect({ host: where.host, port: where.port, ...(iface ? { localAddress: iface } : {}) });
  socket.on('error', () => {});
  const frames = new FrameReader(socket);
  try {
    const start = acceptorStart(code, env.random);
    writeFrame(socket, PakeHelloMessage.encode({ v: 1, t: 'pake-hello', ...start.hello }));
    let reply: ReturnType<typeof PakeReplyMessage.decode>;
    try {
      reply = PakeReplyMessage.decode(await frames.next(STEP_TIMEOUT_MS));
    } catch {
      // Closed without a word: the number is not (or no longer) open there, or busy.
      throw new KithError('INVITE_NOT_FOUND', 'The invite with that number is no longer open (or busy).');
    }
    // Throws SHORT_CODE_WRONG (closing the socket ends the invite on the inviter's side too).
    const keys = acceptorFinish(code, start, reply);
    writeFrame(socket, PakeConfirmMessage.encode({ v: 1, t: 'pake-confirm', confirm: keys.confirmA }));
    const sealed = PakeInviteMessage.decode(await frames.next(STEP_TIMEOUT_MS));
    return openLongCode(keys, sealed.sealed);
  } finally {
    socket.end();
  }
}
