/**
 * The networked agent (`kith agent`, and the core of `kith up`): the agent service of main.ts
 * plus this device's keys, the peer node on the peer port, pairing, and their API routes.
 */
import { readFile } from 'node:fs/promises';
import { KithError } from '@kith/core/errors';
import { ArchiveReplicator, type ArchiveReplicatorOptions } from './archive/archive-replicator.ts';
import { Archivist, type ArchivistOptions, historyAfterMs } from './archive/archivist.ts';
import { archiveRoutes } from './api/routes/archive.ts';
import { archiveItemRoutes } from './api/routes/archive-items.ts';
import { archiveRestoreRoutes } from './api/routes/archive-restore.ts';
import { PendingIntroductions, type PendingIntroductionOptions } from './peer/introductions-pending.ts';
import { ArchiveRestore } from './archive/archive-restore.ts';
import { backupRoutes } from './api/routes/backup.ts';
import { relayStatusRoutes } from './api/routes/relay-status.ts';
import { networkRoutes } from './api/routes/network.ts';
import { pendingFriendRoutes } from './api/routes/pending-friends.ts';
import type { ApiPlugin } from './api/context.ts';
import type { AgentService } from './components.ts';
import { DeviceKeyring } from './keystore/device-keyring.ts';
import { LockControl } from './lock-control.ts';
import { lockRoutes } from './api/routes/lock.ts';
import { identityPhraseRoutes } from './api/routes/identity-phrase.ts';
import { hasKeystore, hasPendingPhrase } from './keystore/index.ts';
import { setupRoutes } from './api/routes/setup.ts';
import { IdentitySetup } from './setup/identity-setup.ts';
import { type AgentSetupContext, type RunAgentOptions, type RunningAgent, runAgent } from './main.ts';
import { conversationRoutes } from './api/routes/conversations.ts';
import { messageRoutes } from './api/routes/messages.ts';
import { ruleCheckRoutes } from './api/routes/rule-check.ts';
import { repositoryDirectory } from './conversations/device-directory.ts';
import { ConversationService } from './conversations/service.ts';
import { Messenger, type MessengerOptions } from './messaging/messenger.ts';
import { PairingService } from './peer/pairing-service.ts';
import { PeerNode } from './peer/peer-node.ts';
import { PortMapping } from './peer/port-mapping.ts';
import { PortWindows, type PortWindowsOptions } from './peer/port-windows.ts';
import { linkLimitsFromConfig } from './link/limits-from-config.ts';

export interface RunningNode extends RunningAgent {
  readonly node: PeerNode;
  readonly pairing: PairingService;
  readonly messenger: Messenger;
  readonly conversations: ConversationService;
  readonly archive: ArchiveReplicator;
  readonly archivist: Archivist;
  /** Locked relay mode: `unlock` / `lock` (docs/SECURITY.md "Locked relay mode"). */
  readonly lockControl: LockControl;
}

export interface RunNodeOptions extends Omit<RunAgentOptions, 'setup'> {
  /** More parts on top of the node (the consensus worker, the web UI in `kith up`). */
  extend?: (
    context: AgentSetupContext & { node: PeerNode; messenger: Messenger; conversations: ConversationService },
  ) => Promise<{ plugins?: ApiPlugin[]; services?: AgentService[] }>;
  /** Archive replication settings (default: timings scaled from the heartbeat mean). */
  archive?: Partial<ArchiveReplicatorOptions>;
  /** Port-window knobs a test injects (its clock and timers, the skew, the invite grace). */
  portWindows?: Partial<Pick<PortWindowsOptions, 'clock' | 'timers' | 'maxSkewMs' | 'inviteGraceMs'>>;
  /** Forward-secrecy schedule and its clock (messaging/secrecy-schedule.ts), for tests. */
  secrecy?: MessengerOptions['secrecy'];
  /** Archivist settings (default: history age from the config, a pass every 10 minutes). */
  archivist?: Partial<ArchivistOptions>;
  /** Introductions a restore could not make, tried again (default: every 2 heartbeats, 1-30 s). */
  introductions?: PendingIntroductionOptions;
}

export async function readPassphrase(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (e) {
    throw new KithError(
      'FILE_UNREADABLE',
      `Cannot read the passphrase file ${path} (${(e as NodeJS.ErrnoException).code}).`,
    );
  }
}

export async function runNode(options: RunNodeOptions = {}): Promise<RunningNode> {
  let node: PeerNode | undefined;
  let pairing: PairingService | undefined;
  let messenger: Messenger | undefined;
  let conversations: ConversationService | undefined;
  let archive: ArchiveReplicator | undefined;
  let archivist: Archivist | undefined;
  let lockControl: LockControl | undefined;
  // The unlock passphrase the owner typed in setup mode (if any): the first run opens the keys with it.
  let setupPassphrase: string | undefined;
  const running = await runAgent({
    ...options,
    // Setup mode: no identity yet and KITH_SETUP=web — wait for the owner (docs/DESIGN.md "Setup mode").
    async prelude({ config, components }) {
      if (config.setup !== 'web' || (await hasKeystore(config.dataDir))) return undefined;
      const setup = new IdentitySetup({
        dataDir: config.dataDir,
        passphrase: await readPassphrase(config.passphraseFile),
        random: components.random,
        database: components.db,
      });
      const done = setup.done.then((result) => {
        setupPassphrase = setup.passphrase;
        return result;
      });
      return { plugins: [setupRoutes(setup)], done, cancel: () => setup.cancel() };
    },
    async setup(context) {
      const { config, components, events } = context;
      // Keys under a passphrase and none given: the node starts locked and only relays.
      const passphrase = setupPassphrase ?? (await readPassphrase(config.passphraseFile));
      setupPassphrase = undefined;
      const device = await DeviceKeyring.open(config.dataDir, passphrase);
      if (await hasPendingPhrase(config.dataDir)) {
        components.logger.warn(
          'the new seed phrase waits, sealed, in DATA/pending-phrase until shown once: open the web UI or run `kith phrase --reveal`',
        );
      }
      // Port windows (docs/PROTOCOL.md "Port windows"): the peer port opens on this device's schedule.
      const windows = new PortWindows({
        enabled: config.portWindows.enabled,
        schedule: { periodMs: config.portWindows.periodMs, openMs: config.portWindows.openMs },
        dataDir: config.dataDir,
        clock: components.clock,
        random: components.random,
        logger: components.logger.child({ part: 'port-windows' }),
        storedOffset: async (deviceId) => (await node?.peerStats.get(deviceId))?.clockOffsetMs ?? undefined,
        ...options.portWindows,
      });
      events.subscribe((event) => void windows.onEvent(event));
      // Home routers (docs/PROTOCOL.md "Home routers"): the mapped address joins our record.
      const mapping = new PortMapping({
        enabled: config.portMapping,
        host: config.host,
        port: () => node!.port,
        onChange: () => void node?.addressesChanged(),
        logger: components.logger.child({ part: 'port-mapping' }),
      });
      node = new PeerNode({
        dataDir: config.dataDir,
        host: config.host,
        port: config.peerPort,
        ...(config.announce ? { announce: config.announce } : {}),
        device,
        components,
        events,
        timing: { heartbeatMeanMs: config.heartbeatMeanMs },
        linkLimits: linkLimitsFromConfig(config),
        windows,
        portMapping: mapping,
      });
      pairing = new PairingService(node);
      messenger = new Messenger(node, {
        relayEnabled: config.relay.enabled,
        totalQuotaBytes: config.relay.quotaBytes,
        userQuotaBytes: config.relay.userQuotaBytes,
        userQuotaItems: config.relay.userQuotaItems,
        friendBytesPerDay: config.friendMessageBytesPerDay,
        pumpMs: Math.max(250, Math.min(2000, config.heartbeatMeanMs)),
        ...(options.secrecy ? { secrecy: options.secrecy } : {}),
      });
      // Conversations (docs/DESIGN.md §8): items travel as messages between the members' devices.
      const delivery = messenger;
      conversations = new ConversationService({
        db: components.db.db,
        userId: node.userId,
        // Read when used: a locked node has no device keys until `kith unlock`.
        device: {
          get seed() {
            return device.keys.signing.seed;
          },
          get publicKey() {
            return device.keys.signing.publicKey;
          },
        },
        storageKey: () => device.storageKey,
        directory: repositoryDirectory(node.identity, node.friends),
        sync: {
          publish: (id, members, kind, bytes) => delivery.publishConversationItem(id, members, kind, bytes),
        },
        events,
        clock: components.clock,
        random: components.random,
        logger: components.logger,
        // A failed hand-over to messaging is tried again after five heartbeats (1 s to 1 min).
        reshipAfterMs: Math.max(1000, Math.min(60_000, 5 * config.heartbeatMeanMs)),
      });
      const service = conversations;
      messenger.conversationHandler = async (kind, bytes, fromUserId) => {
        await service.receive(kind, bytes, fromUserId);
      };
      // Replication (docs/DESIGN.md §7): repair every 2 heartbeats (1-30 s), holders lost after 40.
      const beat = config.heartbeatMeanMs;
      archive = new ArchiveReplicator(node, {
        repairIntervalMs: Math.max(1000, Math.min(30_000, 2 * beat)),
        graceMs: 40 * beat,
        checkIntervalMs: 240 * beat,
        replyTimeoutMs: Math.max(5000, 2 * beat),
        holdForFriends: config.relay.enabled,
        ...options.archive,
      });
      // Archive of conversations (docs/DESIGN.md §5): current 2-of-2 / history 2-of-3, passes debounced
      // after messages (every 10 heartbeats, 2-60 s) and every 10 minutes.
      archivist = new Archivist(node, archive, messenger, conversations, {
        historyAfterMs: historyAfterMs(config.archiveHistoryAfterDays),
        debounceMs: Math.max(2000, Math.min(60_000, 10 * beat)),
        ...options.archivist,
      });
      lockControl = new LockControl(
        device,
        node,
        messenger,
        [conversations, archivist],
        events,
        components.logger.child({ part: 'lock' }),
      );
      const extra = options.extend
        ? await options.extend({ ...context, node, messenger, conversations })
        : {};
      // Items sealed to a revoked device go to today's devices, history too (the phrase is here).
      const { log } = node;
      const rewrapper = archivist;
      // Friend devices a restore could not reach, introduced when they come back.
      const introductions = new PendingIntroductions(node, {
        intervalMs: Math.max(1000, Math.min(30_000, 2 * beat)),
        ...options.introductions,
      });
      const afterRevoke = (phrase: string, bip39?: string) => {
        rewrapper.rewrap(phrase, bip39).catch((err) => log.warn({ err }, 'archive: re-wrap failed'));
      };
      return {
        lockState: lockControl,
        plugins: [
          lockRoutes(lockControl),
          setupRoutes({ userId: node.userId, deviceId: node.deviceId }),
          networkRoutes(node, pairing, afterRevoke),
          pendingFriendRoutes(pairing.pending),
          identityPhraseRoutes(config.dataDir, device),
          messageRoutes(messenger, pairing.pending),
          conversationRoutes(conversations),
          ruleCheckRoutes,
          archiveRoutes(archive, () => archivist!.rewrapStatus()),
          archiveItemRoutes(archivist),
          archiveRestoreRoutes(new ArchiveRestore(node, archivist, messenger.restored, introductions)),
          backupRoutes({ userId: node.userId, deviceId: node.deviceId }),
          relayStatusRoutes(node),
          ...(extra.plugins ?? []),
        ],
        services: [
          node,
          mapping,
          pairing,
          conversations,
          messenger,
          archive,
          archivist,
          lockControl,
          introductions,
          ...(extra.services ?? []),
        ],
      };
    },
  });
  return Object.assign(running, {
    node: node!,
    pairing: pairing!,
    messenger: messenger!,
    conversations: conversations!,
    archive: archive!,
    archivist: archivist!,
    lockControl: lockControl!,
  });
}
