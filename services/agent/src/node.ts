/**
 * The networked agent (`kith agent`, and the core of `kith up`): the agent service of main.ts
 * plus this device's keys, the peer node on the peer port, pairing, and their API routes.
 */
import { readFile } from 'node:fs/promises';
import { KithError } from '@kith/core/errors';
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
}

export interface RunNodeOptions extends Omit<RunAgentOptions, 'setup'> {
  /** More parts on top of the node (the consensus worker, the web UI in `kith up`). */
  extend?: (
    context: AgentSetupContext & { node: PeerNode; messenger: Messenger; conversations: ConversationService },
  ) => Promise<{ plugins?: ApiPlugin[]; services?: AgentService[] }>;
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
        userQuotaBytes: config.relay.userQuotaBytes,
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
      const extra = options.extend
        ? await options.extend({ ...context, node, messenger, conversations })
        : {};
      return {
        plugins: [
          networkRoutes(node, pairing),
          messageRoutes(messenger),
          conversationRoutes(conversations),
          ...(extra.plugins ?? []),
        ],
        services: [node, conversations, messenger, ...(extra.services ?? [])],
      };
    },
  });
  return Object.assign(running, {
    node: node!,
    pairing: pairing!,
    messenger: messenger!,
    conversations: conversations!,
  });
}
