import { type BodyOf, ROUTES } from '@kith/api';
import { KithError } from '@kith/core/errors';
import { parseUserId } from '@kith/core/ids';
import { table } from '../table.ts';
import { labeller, pick, resolveAnyConversation, resolveFriend } from './resolve.ts';
import { connectAgent } from '@kith/api/locate-agent';
import { relayStatus, relaySummary } from './relay-view.ts';
import { type Command, flagString, phraseFlags } from '../command.ts';
import { NODE_FLAGS, nodeFlags } from './node-flags.ts';
import { settleDigits, YES_DIGITS_FLAG } from './confirm.ts';

export const agentCommand: Command = {
  name: 'agent',
  usage: 'kith agent [--host H] [--peer-port N] [--api-port N] [--setup web]',
  summary: 'Run the network agent alone (the compose `agent` service); runs until SIGTERM/SIGINT.',
  flags: NODE_FLAGS,
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const flags = nodeFlags(args, dataDir);
    // As `kith up` below: the database opens while the agent's modules load.
    const { openDatabaseEarly } = await import('./early-database.ts');
    const database = openDatabaseEarly(flags);
    try {
      const [{ ensureIdentity, runUntilStopped }] = await Promise.all([
        import('./run-node.ts'),
        import('@kith/agent/node'),
      ]);
      await ensureIdentity(dataDir, out, flags);
      await runUntilStopped({ flags, database: database.opening }, out);
    } catch (e) {
      await database.abandon();
      throw e;
    }
  },
};

export const upCommand: Command = {
  name: 'up',
  usage: 'kith up [--host H] [--peer-port N] [--api-port N] [--web-port N] [--setup web]',
  summary: 'Run every part in one process on the embedded database (PGlite unless DATABASE_URL).',
  flags: NODE_FLAGS,
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const flags = nodeFlags(args, dataDir);
    // The database opens first (early-database.ts) while everything else loads: the modules of
    // every part are imported at once, not one after the other. The heavy parts are imported
    // here, never at the top of this file: `kith status` and friends load none of them.
    const { openDatabaseEarly } = await import('./early-database.ts');
    const database = openDatabaseEarly(flags);
    try {
      const [{ ensureIdentity, runUntilStopped }, { consensusExtension }, { startWebPart }] =
        await Promise.all([
          import('./run-node.ts'),
          import('../consensus-in-process.ts'),
          import('./web-commands.ts'),
          import('@kith/agent/node'),
        ]);
      await ensureIdentity(dataDir, out, flags);
      // Every part in one process: the consensus worker too (docs/DESIGN.md §3).
      await runUntilStopped(
        { flags, extend: consensusExtension(), database: database.opening },
        out,
        (running) => startWebPart(running, out),
      );
    } catch (e) {
      await database.abandon();
      throw e;
    }
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
        `${s.online} of ${s.peers} peer devices online, ${s.friends} friends\n${windowSummary(s.portWindows)}${mappingSummary(s.portMapping)}` +
        `${relaySummary(relay)}` +
        (s.locked ? '\nLocked: relaying only; run `kith unlock` to read your messages.' : ''),
    );
  },
};

type MappingStatus = Awaited<ReturnType<Awaited<ReturnType<typeof connectAgent>>['status']>>['portMapping'];

/** One line on the home router's forwarding of the peer port. */
export function mappingSummary(m: MappingStatus): string {
  if (!m || m.state === 'off') return '';
  if (m.state === 'mapped')
    return `Router forwards ${m.external} to the peer port (${m.via === 'upnp' ? 'UPnP' : 'NAT-PMP'})\n`;
  if (m.state === 'searching') return 'Router mapping: asking the router (NAT-PMP, UPnP)\n';
  return `Router mapping: none (${m.reason ?? 'no answer'}); friends reach this node only on a forwarded port or KITH_ANNOUNCE\n`;
}

type WindowStatus = Awaited<ReturnType<Awaited<ReturnType<typeof connectAgent>>['status']>>['portWindows'];

/** One or two lines on the peer port's windows and the cluster's clocks. */
export function windowSummary(w: WindowStatus): string {
  if (!w) return '';
  if (!w.enabled) return 'Peer port open all the time (port windows off)\n';
  const state = w.open ? `open now${w.openUntil ? ` until ${w.openUntil}` : ''}` : 'closed now';
  let text =
    `Peer port ${state}; next window at ${w.nextWindowAt} (${w.openMs} ms every ${w.periodMs} ms)` +
    (w.invitesHolding ? `, held open by ${w.invitesHolding} invite(s)` : '') +
    '\n';
  if (w.clock.peers > 0) {
    text += `Clocks: cluster median ${Math.round(w.clock.medianOffsetMs)} ms from ours, spread ${Math.round(w.clock.spreadMs)} ms over ${w.clock.peers} peers\n`;
  }
  for (const p of w.clock.warnings) {
    text += `Warning: device ${p.deviceId}'s clock is ${Math.round(p.offsetMs)} ms off, near the ${w.maxSkewMs} ms allowed: set its time (NTP)\n`;
  }
  if (w.openMs < w.clock.minOpenMs) {
    text += `Warning: windows of ${w.openMs} ms are shorter than the ${w.clock.minOpenMs} ms the measured clocks call for (KITH_WINDOW_OPEN_MS)\n`;
  }
  return text;
}

export const friendsCommand: Command = {
  name: 'friends',
  usage: 'kith friends [--json]',
  summary:
    'Friends, and whether any of their devices is online; pairings that wait for the six digits (and when\n' +
    'they end by themselves, an hour after pairing); pairings that ended lately, and why.',
  flags: {},
  maxPositionals: 0,
  async run({ dataDir, out }) {
    const agent = await connectAgent(dataDir);
    const [friends, pending, ended] = await Promise.all([
      agent.friends(),
      agent.pendingFriends(),
      agent.endedPairings(),
    ]);
    const { endedSentence } = await import('@kith/core/pairing/ended-pairing');
    const waiting =
      (pending.length
        ? `\n\nWaiting for the six digits (nothing is shared with them until you confirm):\n${table(
            ['NAME', 'USER ID', 'DIGITS', 'ENDS AT'],
            pending.map((p) => [p.name ?? '-', p.userId, p.sas, `${p.expiresAt.slice(11, 16)} UTC`]),
          )}\nkith confirm NAME when the digits match the other screen, kith reject NAME when not.\n` +
          'A pairing not confirmed within an hour ends by itself.'
        : '') +
      (ended.length ? `\n\nEnded lately:\n${ended.map((e) => `  ${endedSentence(e)}`).join('\n')}` : '');
    const rows = friends.map((f) => [
      f.online ? '●' : '○',
      f.name ?? '-',
      f.userId,
      `${f.devices.filter((d) => d.status === 'active').length}`,
      f.address ?? '-',
    ]);
    out.result(
      friends,
      friends.length
        ? `${table(['', 'NAME', 'USER ID', 'DEVICES', 'ADDRESS'], rows)}\n● online (a device of theirs is linked now)   ○ offline${waiting}`
        : `No friends yet: meet someone and run \`kith invite\`.${waiting}`,
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
    const agent = await connectAgent(dataDir);
    const [peers, name] = await Promise.all([agent.peers(), labeller(agent)]);
    const rows = peers.map((p) => [
      p.status === 'revoked' ? '✗' : p.online ? '●' : '○',
      p.status === 'revoked' ? 'revoked' : p.online ? 'online' : 'offline',
      p.deviceId,
      p.own ? 'mine' : name(p.userId),
      p.link ?? '-',
      p.address ?? '-',
      p.clockOffsetMs === null ? '-' : `${p.clockOffsetMs} ms`,
    ]);
    out.result(
      peers,
      peers.length
        ? `${table(['', 'STATE', 'DEVICE ID', 'WHOSE', 'LINK', 'ADDRESS', 'CLOCK OFFSET'], rows)}\n● online   ○ offline   ✗ revoked (refused from its next handshake)\nLINK: direct, mapped (through a home router's port mapping, mine or theirs), punched (a hole through both NATs), relayed (through a friend)`
        : 'No peers yet.',
    );
  },
};

/** "10m", "90s", "1h", or milliseconds. */
export function parseDuration(text: string, flag = '--ttl'): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new KithError('USAGE', `${flag} takes a duration like 10m, 90s or 1h, not "${text}".`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[unit as 'ms' | 's' | 'm' | 'h'];
}

/** 10000 -> "10 seconds", 86400000 -> "24 hours". */
export function durationWords(ms: number): string {
  const [n, unit] =
    ms % 3_600_000 === 0
      ? [ms / 3_600_000, 'hour']
      : ms % 60_000 === 0
        ? [ms / 60_000, 'minute']
        : [ms / 1000, 'second'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** The invite's --ttl, within the range the API's schema allows (said in a person's words). */
export function inviteTtl(text: string): number {
  const { minimum, maximum } = ROUTES.createInvite.body.properties.ttlMs as unknown as {
    minimum: number;
    maximum: number;
  };
  const ms = parseDuration(text);
  if (ms < minimum || ms > maximum)
    throw new KithError(
      'USAGE',
      `--ttl ${text} is too ${ms < minimum ? 'short' : 'long'}: an invite stays open from ${durationWords(minimum)} to ${durationWords(maximum)}, e.g. --ttl 10m.`,
    );
  return ms;
}

export const inviteCommand: Command = {
  name: 'invite',
  usage:
    'kith invite [--short] [--device --phrase-file F] [--ttl 10m] [--wait] [--yes-digits-match] [--json]\n' +
    '       kith invite --cancel [ID]',
  summary:
    'Make a one-time in-person invite: a code and a QR code for the other person to accept.\n' +
    'With --short also a code to say aloud (7-guitar-ocean-velvet) for someone on the same network.\n' +
    'With --device it enrols one of your own devices (the phrase is needed: only the root key adds devices).\n' +
    'Ctrl-C while it waits cancels it; --cancel ends one open invite (see `kith invites`), or all.\n' +
    'Once used, it shows six digits to compare with the other screen and asks whether they match (on a terminal);\n' +
    'the friendship is active only after yes. Elsewhere answer with --yes-digits-match or `kith confirm NAME`.',
  flags: {
    short: { kind: 'boolean', description: 'also make a short code to say aloud (same network only)' },
    device: { kind: 'boolean', description: 'enrol one of my own devices instead of a friend' },
    'phrase-file': { kind: 'string', description: 'seed phrase file (needed with --device)' },
    'bip39-passphrase-file': { kind: 'string', description: 'the BIP39 passphrase, if the phrase has one' },
    ttl: { kind: 'string', description: 'how long the invite stays open (default 10m)' },
    wait: { kind: 'boolean', description: 'wait until the invite is used and show the result' },
    cancel: { kind: 'boolean', description: 'cancel the open invite ID, or every open one' },
    ...YES_DIGITS_FLAG,
  },
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    if (args.flags.cancel === true) {
      const { cancelInvites } = await import('./invites.ts');
      await cancelInvites(dataDir, args.positionals[0], out);
      return;
    }
    if (args.positionals.length > 0)
      throw new KithError('USAGE', 'invite takes no ID unless it is `kith invite --cancel ID`.');
    const role = args.flags.device === true ? 'device' : 'friend';
    const phraseFile = flagString(args, 'phrase-file');
    if (role === 'device' && phraseFile === undefined) {
      throw new KithError(
        'USAGE',
        '--device needs --phrase-file F: only the root key (from the phrase) adds a device.',
      );
    }
    if (role === 'device' && args.flags.short === true)
      throw new KithError(
        'USAGE',
        '--short is for a friend invite; a new device takes the long code or the QR.',
      );
    const ttl = flagString(args, 'ttl');
    const body: BodyOf<'createInvite'> = { role };
    if (args.flags.short === true) body.short = true;
    if (ttl !== undefined) body.ttlMs = inviteTtl(ttl);
    Object.assign(body, await phraseFlags(args));
    const agent = await connectAgent(dataDir);
    const invite = await agent.createInvite({ body });
    const wait = args.flags.wait === true || !out.json;
    // Ctrl-C while waiting cancels the invite, so an abandoned code cannot be used later. Listened
    // for before the code is shown: until a listener exists a SIGINT kills the process outright.
    const onInterrupt = () => {
      void agent
        .cancelInvites({ body: { id: invite.id } })
        .then(
          () => process.stderr.write('\nInvite cancelled: its code no longer works.\n'),
          (err: unknown) =>
            process.stderr.write(
              `\nThe invite could not be cancelled (${err instanceof Error ? err.message : String(err)}); ` +
                'run `kith invite --cancel` to end it.\n',
            ),
        )
        .finally(() => process.exit(130));
    };
    if (wait) process.once('SIGINT', onInterrupt);
    if (!out.json) {
      const { default: qrcode } = await import('qrcode-terminal');
      if (invite.shortCode) {
        process.stdout.write(
          `Say or show this code: ${invite.shortCode}\n` +
            `On the other machine, on the same network: kith accept ${invite.shortCode}\n` +
            'One try: a wrong code ends the invite.\n\nAcross the internet, use the QR code or the long code instead:\n',
        );
      }
      qrcode.generate(invite.code, { small: true }, (qr) => process.stdout.write(`${qr}\n`));
      process.stdout.write(
        `${invite.code}\n\nOn the other ${role === 'device' ? 'device' : 'person’s machine'}: kith accept ${invite.code}` +
          `${role === 'device' ? ' --data NEW_DIR' : ''}\nOpen until ${invite.expiresAt}. Waiting… (Ctrl-C cancels the invite)\n`,
      );
    }
    const shown = {
      id: invite.id,
      code: invite.code,
      shortCode: invite.shortCode,
      expiresAt: invite.expiresAt,
    };
    if (!wait) {
      process.off('SIGINT', onInterrupt);
      out.result({ ...shown, role }, '');
      return;
    }
    try {
      const deadline = Date.parse(invite.expiresAt);
      for (;;) {
        const status = await agent.invite({ params: { id: invite.id } });
        if (status.used && status.result) {
          const r = status.result;
          if (r.role !== 'friend' || r.recovery) {
            out.result(
              { ...shown, ...r },
              (r.recovery
                ? `${r.userId}${r.name ? ` (${r.name})` : ''} recovered from the phrase: new device ${r.deviceId}.\n`
                : `Paired with ${r.userId}${r.name ? ` (${r.name})` : ''}, device ${r.deviceId}.\n`) +
                `Compare this with the other screen: ${r.sas}`,
            );
            return;
          }
          // A friend: active here only once the person confirms the six digits.
          process.off('SIGINT', onInterrupt);
          if (!out.json)
            process.stdout.write(
              `Paired with ${r.userId}${r.name ? ` (${r.name})` : ''}, device ${r.deviceId}.\n`,
            );
          const settled = await settleDigits(agent, r, args, out);
          out.result({ ...shown, ...r, state: settled.state }, settled.text);
          return;
        }
        if (status.ended === 'wrong-code')
          throw new KithError(
            'SHORT_CODE_WRONG',
            'Someone tried the short code with wrong words, so the invite has ended: make a new one.',
          );
        if (status.ended === 'cancelled')
          throw new KithError('INVITE_CANCELLED', 'The invite was cancelled.');
        if (Date.now() > deadline) throw new KithError('INVITE_EXPIRED', 'Nobody accepted it in time.');
        await new Promise((r) => setTimeout(r, 300));
      }
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  },
};

export const acceptCommand: Command = {
  name: 'accept',
  usage: 'kith accept CODE [--data DIR] [--yes-digits-match] [--json]',
  summary:
    'Complete pairing from an invite code and show the short authentication string to compare.\n' +
    'CODE is the long KITH1-… code, or a short code like 7-guitar-ocean-velvet on the same network.\n' +
    'A device invite, run on a fresh data dir, makes this machine one of the inviter’s devices.\n' +
    'A friend invite asks whether the six digits match the other screen (on a terminal); the friendship is active\n' +
    'only after yes. Elsewhere answer with --yes-digits-match or `kith confirm NAME`.',
  flags: {
    'passphrase-file': {
      kind: 'string',
      description: 'device invite: encrypt the new keys under this passphrase',
      env: 'KITH_PASSPHRASE_FILE',
    },
    ...YES_DIGITS_FLAG,
  },
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const code = args.positionals[0];
    if (!code) throw new KithError('USAGE', 'accept needs the invite CODE.');
    const { decodeInvite } = await import('@kith/core/pairing/invite-code');
    const { looksLikeShortCode, parseShortCode } = await import('@kith/core/pairing/short-code');
    // A short code is checked here (typos, missing words) and traded by the agent on the LAN.
    const short = looksLikeShortCode(code);
    if (short) parseShortCode(code);
    const invite = short ? undefined : decodeInvite(code);
    if (invite?.role === 'device') {
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
    const agent = await connectAgent(dataDir);
    const r = await agent.acceptInvite({ body: { code } });
    // Active here only once the person confirms the six digits (confirm.ts).
    if (!out.json) process.stdout.write(`Paired with ${r.userId}${r.name ? ` (${r.name})` : ''}.\n`);
    const settled = await settleDigits(agent, r, args, out);
    out.result({ ...r, role: 'friend', state: settled.state }, settled.text);
  },
};

export const revokeCommand: Command = {
  name: 'revoke',
  usage: 'kith revoke DEVICE --phrase-file F [--json]',
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
      throw new KithError(
        'USAGE',
        'revoke needs the DEVICE (its id, the start of it, or its name) and --phrase-file F.',
      );
    const agent = await connectAgent(dataDir);
    const devices = (await agent.identity()).devices.map((d) => ({ id: d.deviceId, name: d.name || null }));
    const body: BodyOf<'revokeDevice'> = {
      deviceId: pick(deviceId, devices, 'device'),
      phrase: '',
      ...(await phraseFlags(args)),
    };
    const r = await agent.revokeDevice({ body });
    out.result(
      r,
      `Revoked device ${r.deviceId} (index ${r.index}). Archive items sealed to it are being sealed to your other devices; \`kith archive status\` shows what waits.`,
    );
  },
};

export const unfriendCommand: Command = {
  name: 'unfriend',
  usage: 'kith unfriend (NAME | USER_ID) [--json]',
  summary:
    'End a friendship and block: links close, their handshakes are refused, what we held for them is dropped.',
  flags: {},
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const userId = args.positionals[0];
    if (!userId) throw new KithError('USAGE', 'unfriend needs the USER_ID (see `kith friends`).');
    const agent = await connectAgent(dataDir);
    let id: string;
    try {
      id = parseUserId(userId); // a blocked user is no longer listed: the full id still works
    } catch {
      id = await resolveFriend(agent, userId);
    }
    const r = await agent.unfriend({ params: { userId: id } });
    out.result(
      r,
      `Unfriended and blocked ${r.userId}: ${r.linksClosed} links closed, ${r.relayItemsDropped} relayed items and ` +
        `${r.archiveBlobsDropped} archive blobs dropped. Run it on each of your devices; a new invite of yours makes them a friend again.`,
    );
  },
};

export const sendCommand: Command = {
  name: 'send',
  usage: 'kith send (--to FRIEND | --conversation ID) TEXT',
  summary: 'Send a message: to a friend (your direct conversation) or into a conversation.',
  flags: {
    to: { kind: 'string', description: 'a friend: their name, user id, or the start of it' },
    conversation: { kind: 'string', description: 'a conversation id, or its first characters' },
  },
  maxPositionals: 1,
  async run({ dataDir, args, out }) {
    const text = args.positionals[0];
    const to = flagString(args, 'to');
    const conversation = flagString(args, 'conversation');
    if (!text) throw new KithError('USAGE', 'send needs the TEXT of the message (quote it).');
    if ((to === undefined) === (conversation === undefined)) {
      throw new KithError('USAGE', 'Give exactly one of --to FRIEND or --conversation ID.');
    }
    const agent = await connectAgent(dataDir);
    const body: BodyOf<'sendMessage'> = { text };
    if (to !== undefined) body.to = await resolveFriend(agent, to);
    if (conversation !== undefined) body.conversation = await resolveAnyConversation(agent, conversation);
    const r = await agent.sendMessage({ body });
    out.result(
      r,
      `Sent ${r.id} in ${r.conversation}${body.to ? ` (with ${(await labeller(agent))(body.to)})` : ''}.`,
    );
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
    const agent = await connectAgent(dataDir);
    const query = c ? { conversation: await resolveAnyConversation(agent, c) } : {};
    const [list, name] = await Promise.all([agent.messages({ query }), labeller(agent)]);
    out.result(
      list,
      list.length
        ? `${list
            .map((m) => `${m.sentAt}  ${name(m.from)}  ${m.text}${m.delivered.length ? '  ✓' : ''}`)
            .join('\n')}\n✓ delivered to at least one of the recipient's devices`
        : 'No messages.',
    );
  },
};
