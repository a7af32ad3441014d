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
import { networkRoutes } from './api/routes/network.ts';
import type { ApiPlugin } from './api/context.ts';
import type { AgentService } from './components.ts';
import { unlock } from './keystore/index.ts';
import { type AgentSetupContext, type RunAgentOptions, type RunningAgent, runAgent } from './main.ts';
import { conversationRoutes } from './api/routes/conversations.ts';
import { messageRoutes } from './api/routes/messages.ts';
import { repositoryDirectory } from './conversations/device-directory.ts';
import { ConversationService } from './conversations/service.ts';
import { Messenger } from './messaging/messenger.ts';
import { PairingService } from './peer/pairing-service.ts';
import { PeerNode } from './peer/peer-node.ts';

export interface RunningNode extends RunningAgent {
  readonly node: PeerNode;
  readonly pairing: PairingService;
  readonly messenger: Messenger;
  readonly conversations: ConversationService;
  readonly archive: ArchiveReplicator;
  readonly archivist: Archivist;
}

export interface RunNodeOptions extends Omit<RunAgentOptions, 'setup'> {
  /** More parts on top of the node (the consensus worker, the web UI in `kith up`). */
  extend?: (
    context: AgentSetupContext & { node: PeerNode; messenger: Messenger; conversations: ConversationService },
  ) => Promise<{ plugins?: ApiPlugin[]; services?: AgentService[] }>;
  /** Archive replication settings (default: timings scaled from the heartbeat mean). */
  archive?: Partial<ArchiveReplicatorOptions>;
  /** Archivist settings (default: history age from the config, a pass every 10 minutes). */
  archivist?: Partial<ArchivistOptions>;
}

async function readPassphrase(path: string | undefined): Promise<string | undefined> {
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
  const running = await runAgent({
    ...options,
    async setup(context) {
      const { config, components, events } = context;
      const device = await unlock(config.dataDir, await readPassphrase(config.passphraseFile));
      node = new PeerNode({
        dataDir: config.dataDir,
        host: config.host,
        port: config.peerPort,
        device,
        components,
        events,
        timing: { heartbeatMeanMs: config.heartbeatMeanMs },
      });
      pairing = new PairingService(node);
      messenger = new Messenger(node, {
        relayEnabled: config.relay.enabled,
        totalQuotaBytes: config.relay.quotaBytes,
        userQuotaBytes: config.relay.userQuotaBytes,
        userQuotaItems: config.relay.userQuotaItems,
        friendBytesPerDay: config.friendMessageBytesPerDay,
        pumpMs: Math.max(250, Math.min(2000, config.heartbeatMeanMs)),
      });
      // Conversations (DESIGN §8): items travel as messages between the members' devices.
      const delivery = messenger;
      conversations = new ConversationService({
        db: components.db.db,
        userId: node.userId,
        device: device.keys.signing,
        storageKey: device.storageKey,
        directory: repositoryDirectory(node.identity, node.friends),
        sync: {
          publish: (id, members, kind, bytes) => delivery.publishConversationItem(id, members, kind, bytes),
        },
        events,
        clock: components.clock,
        random: components.random,
        logger: components.logger,
      });
      const service = conversations;
      messenger.conversationHandler = async (kind, bytes, fromUserId) => {
        await service.receive(kind, bytes, fromUserId);
      };
      // Replication (DESIGN §7): repair every 2 heartbeats (1-30 s), holders lost after 40.
      const beat = config.heartbeatMeanMs;
      archive = new ArchiveReplicator(node, {
        repairIntervalMs: Math.max(1000, Math.min(30_000, 2 * beat)),
        graceMs: 40 * beat,
        checkIntervalMs: 240 * beat,
        replyTimeoutMs: Math.max(5000, 2 * beat),
        holdForFriends: config.relay.enabled,
        ...options.archive,
      });
      // Archive of conversations (DESIGN §5): current 2-of-2 / history 2-of-3, passes debounced
      // after messages (every 10 heartbeats, 2-60 s) and every 10 minutes.
      archivist = new Archivist(node, archive, messenger, conversations, {
        historyAfterMs: historyAfterMs(config.archiveHistoryAfterDays),
        debounceMs: Math.max(2000, Math.min(60_000, 10 * beat)),
        ...options.archivist,
      });
      const extra = options.extend
        ? await options.extend({ ...context, node, messenger, conversations })
        : {};
      return {
        plugins: [
          networkRoutes(node, pairing),
          messageRoutes(messenger),
          conversationRoutes(conversations),
          archiveRoutes(archive),
          archiveItemRoutes(archivist),
          ...(extra.plugins ?? []),
        ],
        services: [node, conversations, messenger, archive, archivist, ...(extra.services ?? [])],
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
  });
}
