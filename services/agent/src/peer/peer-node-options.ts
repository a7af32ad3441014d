/**
 * What the peer node (peer-node.ts) is built from and hands out: its options, the hooks other
 * parts plug in for the messages they own, and its view of a peer.
 */
import type { BackoffOptions } from '@kith/core/net/backoff';
import type { MessageOf } from '@kith/core/wire/message';
import type { DeliverMessage, DeliverRefusedMessage } from '@kith/core/wire/deliver';
import type { AgentComponents } from '../components.ts';
import type { EventBus } from '../event-bus.ts';
import type { LinkLimits } from '../link/index.ts';
import type { UnlockedDevice } from '../keystore/index.ts';
import type { RelayKeyPairs } from '../keystore/relay-key-file.ts';
import type { ReachTiming } from './reach-gossip.ts';
import type { ArchiveSessionMessage, PeerSession } from './peer-session.ts';
import type { SessionMessageOf } from './session-messages.ts';
import type { PortMapping } from './port-mapping.ts';
import type { PortWindows } from './port-windows.ts';
import type { LinkKind } from './link-kind.ts';
import type { WorkBudgetOptions } from './work-budget.ts';

export interface PeerTiming {
  heartbeatMeanMs: number;
  /** How often the dialer looks for devices without a link. */
  dialTickMs: number;
  backoff: BackoffOptions;
}

export interface PeerNodeOptions {
  dataDir: string;
  /** Address the peer port binds (KITH_HOST). */
  host: string;
  port: number;
  /** Where friends reach us when that differs from the bind (KITH_ANNOUNCE): advertised instead. */
  announce?: readonly string[];
  /** A DeviceKeyring (keystore/device-keyring.ts) may be locked and carry relay keys. */
  device: UnlockedDevice & { readonly locked?: boolean; readonly relay?: RelayKeyPairs };
  components: AgentComponents;
  events: EventBus;
  timing?: Partial<PeerTiming>;
  /** Reach gossip timing (default: scaled from the heartbeat mean). */
  reach?: Partial<ReachTiming>;
  linkLimits?: Partial<LinkLimits>;
  /** Signature checks per second one peer device's gossip may cost (default DEFAULT_WORK_BUDGET). */
  workBudget?: WorkBudgetOptions;
  /** Port windows (peer/port-windows.ts): absent, the peer port listens all the time. */
  windows?: PortWindows;
  /** A home router's forwarding (peer/port-mapping.ts): its address is advertised beside the LAN ones. */
  portMapping?: PortMapping;
}

export interface DeliveryHandler {
  onDeliver(session: PeerSession, message: MessageOf<typeof DeliverMessage>): Promise<void>;
  onDeliverRefused(session: PeerSession, message: MessageOf<typeof DeliverRefusedMessage>): Promise<void>;
  /** A peer device's signed prekey (messaging/prekeys.ts). */
  onPrekey(session: PeerSession, message: SessionMessageOf<'prekey'>): Promise<void>;
}

/** Archive replication (services/agent/src/archive): store, receipt, refusal, challenge, proof. */
export interface ArchiveHandler {
  onArchive(session: PeerSession, message: ArchiveSessionMessage): Promise<void>;
}

/** What to do when a friend holds a longer copy of our own log than this device (a fork). */
export const OWN_FORK_HINT =
  'A friend holds another copy of your identity log: this device was recovered on a fresh copy. ' +
  'On an empty data dir run `kith recover --phrase-file F --invite CODE` with an invite from that friend.';

export interface PeerView {
  deviceId: string;
  userId: string;
  own: boolean;
  online: boolean;
  address: string | null;
  addresses: string[];
  lastSeenAt: string | null;
  clockOffsetMs: number | null;
  roundTripMs: number | null;
  status: string;
  /** Which way the link runs now (link-kind.ts). */
  link: LinkKind | null;
}
