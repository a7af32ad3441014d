import type { BodyOf } from '@kith/api';
import { KithError } from '@kith/core/errors';
import { parseDeviceId, parseUserId } from '@kith/core/ids';
import { connectAgent } from '@kith/api/locate-agent';
import { connectAgent as connectUntypedAgent } from '../client.ts';
import { relayStatus, relaySummary } from './relay-view.ts';
import { type Command, flagString } from '../command.ts';
import { NODE_FLAGS, nodeFlags } from './node-flags.ts';
import { readSecretFile } from '../io.ts';

export const agentCommand: Command = {
  name: 'agent',
  usage: 'kith agent [--host H] [--peer-port N] [--api-port N]',
  summary: 'Run the network agent alone (the compose `agent` service); runs until SIGTERM/SIGINT.',
  flags: NODE_FLAGS,
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const { ensureIdentity, runUntilStopped } = await import('./run-node.ts');
    await ensureIdentity(dataDir, out, nodeFlags(args, dataDir));
    await runUntilStopped({ flags: nodeFlags(args, dataDir) }, out);
  },
};

export const upCommand: Command = {
  name: 'up',
  usage: 'kith up [--host H] [--peer-port N] [--api-port N] [--web-port N]',
  summary: 'Run every part in one process on the embedded database (PGlite unless DATABASE_URL).',
  flags: NODE_FLAGS,
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    // Imported here, like every heavy part below: `kith status` and friends load none of them.
    const { ensureIdentity, runUntilStopped } = await import('./run-node.ts');
    await ensureIdentity(dataDir, out, nodeFlags(args, dataDir));
    // Every part in one process: the consensus worker too (docs/DESIGN.md §3).
    const { consensusExtension } = await import('../consensus-in-process.ts');
    const { startWebPart } = await import('./web-commands.ts');
    await runUntilStopped({ flags: nodeFlags(args, dataDir), extend: consensusExtension() }, out, (running) =>
      startWebPart(running, out),
    );
  },
};

export const statusCommand: Command = {
  name: 'status',
  usage: 'kith status [--json]',
  summary: 'Agent health and summary: who, where, how many peers online.',
  flags: {},
  maxPositionals: 0,
  async run({ dataDir, out }) {
    const agent = await connectAgent(dataDir);
    const s = await agent.status();
    const relay = await relayStatus(agent);
    out.result(
      { ...s, relayFor: relay.relayFor },
      `User ${s.userId}, device ${s.deviceId}\nPeer port ${s.peerPort} at ${s.addresses.join(', ')}\n` +
        `${s.online} of ${s.peers} peer devices online, ${s.friends} friends\n${relaySummary(relay)}` +
        (s.locked ? '\nLocked: relaying only; run `kith unlock` to read your messages.' : ''),
    );
  },
};

export const friendsCommand: Command = {
  name: 'friends',
  usage: 'kith friends [--json]',
  summary: 'Friends, and whether any of their devices is online.',
  flags: {},
  maxPositionals: 0,
  async run({ dataDir, out }) {
    const friends = await (await connectAgent(dataDir)).friends();
    out.result(
      friends,
      friends.length
        ? friends
            .map((f) => `${f.online ? '●' : '○'} ${f.userId}  ${f.name ?? ''}  ${f.address ?? ''}`)
            .join('\n')
        : 'No friends yet: meet someone and run `kith invite`.',
    );
  },
};

export const peersCommand: Command = {
  name: 'peers',
  usage: 'kith peers [--json]',
  summary: 'Peer devices (mine and my friends’) with link state, address and clock offset.',
  flags: {},
  maxPositionals: 0,
  async run({ dataDir, out }) {
    const peers = await (await connectAgent(dataDir)).peers();
    out.result(
      peers,
      peers.length
        ? peers
            .map(
              (p) =>
                `${p.online ? '●' : '○'} ${p.deviceId}  ${p.own ? 'mine  ' : 'friend'}  ${p.address ?? '-'}` +
                (p.clockOffsetMs === null ? '' : `  offset ${p.clockOffsetMs} ms`),
            )
            .join('\n')
        : 'No peers yet.',
    );
  },
};

/** "10m", "90s", "1h", or milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new KithError('USAGE', `--ttl takes a duration like 10m, 90s or 1h, not "${text}".`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[unit as 'ms' | 's' | 'm' | 'h'];
}

export const inviteCommand: Command = {
  name: 'invite',
  usage: 'kith invite [--device --phrase-file F] [--ttl 10m] [--wait] [--json]',
  summary:
    'Make a one-time in-person invite: a code and a QR code for the other person to accept.\n' +
    'With --device it enrols one of your own devices (the phrase is needed: only the root key adds devices).',
  flags: {
    device: { kind: 'boolean', description: 'enrol one of my own devices instead of a friend' },
    'phrase-file': { kind: 'string', description: 'seed phrase file (needed with --device)' },
    'bip39-passphrase-file': { kind: 'string', description: 'the BIP39 passphrase, if the phrase has one' },
    ttl: { kind: 'string', description: 'how long the invite stays open (default 10m)' },
    wait: { kind: 'boolean', description: 'wait until the invite is used and show the result' },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const role = args.flags.device === true ? 'device' : 'friend';
    const phraseFile = flagString(args, 'phrase-file');
    if (role === 'device' && phraseFile === undefined) {
      throw new KithError(
        'USAGE',
        '--device needs --phrase-file F: only the root key (from the phrase) adds a device.',
      );
    }
    const ttl = flagString(args, 'ttl');
    const body: BodyOf<'createInvite'> = { role };
    if (ttl !== undefined) body.ttlMs = parseDuration(ttl);
    if (phraseFile !== undefined) body.phrase = await readSecretFile(phraseFile, 'phrase');
    const b39 = flagString(args, 'bip39-passphrase-file');
    if (b39 !== undefined) body.bip39Passphrase = await readSecretFile(b39, 'BIP39 passphrase');
    const agent = await connectAgent(dataDir);
    const invite = await agent.createInvite({ body });
    const wait = args.flags.wait === true || !out.json;
    if (!out.json) {
      const { default: qrcode } = await import('qrcode-terminal');
      qrcode.generate(invite.code, { small: true }, (qr) => process.stdout.write(`${qr}\n`));
      process.stdout.write(
        `${invite.code}\n\nOn the other ${role === 'device' ? 'device' : 'person’s machine'}: kith accept ${invite.code}` +
          `${role === 'device' ? ' --data NEW_DIR' : ''}\nOpen until ${invite.expiresAt}. Waiting…\n`,
      );
    }
    if (!wait) {
      out.result({ id: invite.id, code: invite.code, expiresAt: invite.expiresAt, role }, '');
      return;
    }
    const deadline = Date.parse(invite.expiresAt);
    for (;;) {
      const status = await agent.invite({ params: { id: invite.id } });
      if (status.used && status.result) {
        const r = status.result;
        out.result(
          { id: invite.id, code: invite.code, expiresAt: invite.expiresAt, ...r },
          (r.recovery
            ? `${r.userId}${r.name ? ` (${r.name})` : ''} recovered from the phrase: new device ${r.deviceId}.\n`
            : `Paired with ${r.userId}${r.name ? ` (${r.name})` : ''}, device ${r.deviceId}.\n`) +
            `Compare this with the other screen: ${r.sas}`,
        );
        return;
      }
      if (Date.now() > deadline) throw new KithError('INVITE_EXPIRED', 'Nobody accepted it in time.');
      await new Promise((r) => setTimeout(r, 300));
    }
  },
};

export const acceptCommand: Command = {
  name: 'accept',
  usage: 'kith accept CODE [--data DIR] [--json]',
  summary:
    'Complete pairing from an invite code and show the short authentication string to compare.\n' +
    'A device invite, run on a fresh data dir, makes this machine one of the inviter’s devices.',
  flags: {
    'passphrase-file': {
      kind: 'string',
      description: 'device invite: encrypt the new keys under this passphrase',
      env: 'KITH_PASSPHRASE_FILE',
    },
  },
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const code = args.positionals[0];
    if (!code) throw new KithError('USAGE', 'accept needs the invite CODE.');
    const { decodeInvite } = await import('@kith/core/pairing/invite-code');
    const invite = decodeInvite(code);
    if (invite.role === 'device') {
      const { unlockPassphrase } = await import('./identity-common.ts');
      const passphrase = await unlockPassphrase(args);
      const { enrolFromInvite } = await import('@kith/agent/peer/enrol-from-invite');
      const r = await enrolFromInvite({ code, dataDir, ...(passphrase !== undefined ? { passphrase } : {}) });
      out.result(
        { ...r, role: 'device' },
        `This machine is now device ${r.deviceId} of ${r.userId}.\nCompare this with the other screen: ${r.sas}\n` +
          `Start it with: kith up --data ${dataDir}`,
      );
      return;
    }
    const r = await (await connectAgent(dataDir)).acceptInvite({ body: { code } });
    out.result(
      { ...r, role: 'friend' },
      `Paired with ${r.userId}${r.name ? ` (${r.name})` : ''}.\nCompare this with the other screen: ${r.sas}`,
    );
  },
};

export const revokeCommand: Command = {
  name: 'revoke',
  usage: 'kith revoke DEVICE_ID --phrase-file F [--json]',
  summary: 'Revoke one of my devices (lost or stolen): friends refuse it from its next handshake.',
  flags: {
    'phrase-file': { kind: 'string', description: 'seed phrase file (only the root key revokes)' },
    'bip39-passphrase-file': { kind: 'string', description: 'the BIP39 passphrase, if the phrase has one' },
  },
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const deviceId = args.positionals[0];
    const phraseFile = flagString(args, 'phrase-file');
    if (!deviceId || phraseFile === undefined)
      throw new KithError('USAGE', 'revoke needs DEVICE_ID and --phrase-file F.');
    const body: BodyOf<'revokeDevice'> = {
      deviceId: parseDeviceId(deviceId),
      phrase: await readSecretFile(phraseFile, 'phrase'),
    };
    const b39 = flagString(args, 'bip39-passphrase-file');
    if (b39 !== undefined) body.bip39Passphrase = await readSecretFile(b39, 'BIP39 passphrase');
    const r = await (await connectAgent(dataDir)).revokeDevice({ body });
    out.result(r, `Revoked device ${r.deviceId} (index ${r.index}).`);
  },
};

export const unfriendCommand: Command = {
  name: 'unfriend',
  usage: 'kith unfriend USER_ID [--json]',
  summary:
    'End a friendship and block: links close, their handshakes are refused, what we held for them is dropped.',
  flags: {},
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const userId = args.positionals[0];
    if (!userId) throw new KithError('USAGE', 'unfriend needs the USER_ID (see `kith friends`).');
    const r = await (await connectAgent(dataDir)).unfriend({ params: { userId: parseUserId(userId) } });
    out.result(
      r,
      `Unfriended and blocked ${r.userId}: ${r.linksClosed} links closed, ${r.relayItemsDropped} relayed items and ` +
        `${r.archiveBlobsDropped} archive blobs dropped. Run it on each of your devices; a new invite of yours makes them a friend again.`,
    );
  },
};

export const sendCommand: Command = {
  name: 'send',
  usage: 'kith send (--to USER_ID | --conversation ID) TEXT',
  summary: 'Send a message: to a friend (your direct conversation) or into a conversation.',
  flags: {
    to: { kind: 'string', description: 'a friend’s user id' },
    conversation: { kind: 'string', description: 'a conversation id' },
  },
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const text = args.positionals[0];
    const to = flagString(args, 'to');
    const conversation = flagString(args, 'conversation');
    if (!text) throw new KithError('USAGE', 'send needs the TEXT of the message (quote it).');
    if ((to === undefined) === (conversation === undefined)) {
      throw new KithError('USAGE', 'Give exactly one of --to USER_ID or --conversation ID.');
    }
    const body: BodyOf<'sendMessage'> = { text };
    if (to !== undefined) body.to = parseUserId(to);
    if (conversation !== undefined) body.conversation = conversation;
    const r = await (await connectAgent(dataDir)).sendMessage({ body });
    out.result(r, `Sent ${r.id} in ${r.conversation}.`);
  },
};

export const messagesCommand: Command = {
  name: 'messages',
  usage: 'kith messages [--conversation ID] [--json]',
  summary: 'Messages this device can read, oldest first.',
  flags: { conversation: { kind: 'string', description: 'only this conversation' } },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const c = flagString(args, 'conversation');
    const list = await (await connectAgent(dataDir)).messages({ query: c ? { conversation: c } : {} });
    out.result(
      list,
      list.length
        ? list
            .map((m) => `${m.sentAt}  ${m.from.slice(0, 11)}  ${m.text}${m.delivered.length ? '  ✓' : ''}`)
            .join('\n')
        : 'No messages.',
    );
  },
};
