/**
 * The messages a peer session carries (docs/PROTOCOL.md "Messages"), one definition per wire
 * message in packages/core/src/wire, and the typed registry their handlers form: one handler
 * per message type, so a message listed here without a handler, or a handler or a `send` for a
 * message not listed, is a type error; bytes of an unlisted type are refused when decoded.
 */
import { AddressRecordsMessage } from '@kith/core/wire/address-records';
import { ArchiveChallengeMessage, ArchiveProofMessage } from '@kith/core/wire/archive-challenge';
import {
  ArchiveFetchedMessage,
  ArchiveFetchMessage,
  ArchiveFetchRefusedMessage,
} from '@kith/core/wire/archive-fetch';
import { ArchiveDropMessage, ArchiveDroppedMessage } from '@kith/core/wire/archive-drop';
import { ArchiveIndexPutMessage } from '@kith/core/wire/archive-index';
import {
  ArchiveReceiptMessage,
  ArchiveRefusedMessage,
  ArchiveStoreMessage,
} from '@kith/core/wire/archive-store';
import { DeliverMessage, DeliverRefusedMessage } from '@kith/core/wire/deliver';
import { FriendListMessage } from '@kith/core/wire/friend-list';
import { HeartbeatMessage } from '@kith/core/wire/heartbeat';
import { HelloMessage } from '@kith/core/wire/hello';
import { LogEntriesMessage, LogRequestMessage } from '@kith/core/wire/identity-log';
import { MappedLinkMessage } from '@kith/core/wire/mapped-link';
import { type AnyMessage, type MessageOf, decodeMessage } from '@kith/core/wire/message';
import { PrekeyMessage } from '@kith/core/wire/prekey';
import { PunchMessage } from '@kith/core/wire/punch';
import { PunchInviteMessage } from '@kith/core/wire/punch-invite';
import { PunchRequestMessage } from '@kith/core/wire/punch-request';
import { ReachMessage } from '@kith/core/wire/reach';
import { RelayListsMessage } from '@kith/core/wire/relay-lists';
import { WindowKeyMessage } from '@kith/core/wire/window-key';

export const SESSION_MESSAGES = [
  HelloMessage,
  HeartbeatMessage,
  AddressRecordsMessage,
  RelayListsMessage,
  ReachMessage,
  LogRequestMessage,
  LogEntriesMessage,
  DeliverMessage,
  DeliverRefusedMessage,
  ArchiveStoreMessage,
  ArchiveReceiptMessage,
  ArchiveRefusedMessage,
  ArchiveChallengeMessage,
  ArchiveProofMessage,
  ArchiveFetchMessage,
  ArchiveFetchedMessage,
  ArchiveFetchRefusedMessage,
  ArchiveIndexPutMessage,
  ArchiveDropMessage,
  ArchiveDroppedMessage,
  WindowKeyMessage,
  PrekeyMessage,
  FriendListMessage,
  PunchRequestMessage,
  PunchInviteMessage,
  PunchMessage,
  MappedLinkMessage,
] as const;

export type SessionMessage = MessageOf<(typeof SESSION_MESSAGES)[number]>;
export type SessionMessageType = SessionMessage['t'];
export type SessionMessageOf<T extends SessionMessageType> = Extract<SessionMessage, { t: T }>;
/** Archive replication and retrieval messages (services/agent/src/archive). */
export type ArchiveSessionMessage = Extract<SessionMessage, { t: `archive-${string}` }>;

/** One handler per session message type; the mapped type makes the registry complete. */
export type SessionHandlers<S> = {
  readonly [T in SessionMessageType]: (session: S, message: SessionMessageOf<T>) => Promise<void>;
};

const definitions = new Map<string, AnyMessage>(SESSION_MESSAGES.map((d) => [d.type, d]));

/** The definition of a session message type; throws for a type that is not one. */
export function sessionMessageDefinition(type: SessionMessageType): AnyMessage {
  const def = definitions.get(type);
  if (!def) throw new Error(`no session message ${JSON.stringify(type)}`);
  return def;
}

/** Decodes a session message; a type not in SESSION_MESSAGES is CODEC_SCHEMA. */
export function decodeSessionMessage(bytes: Uint8Array): SessionMessage {
  return decodeMessage(bytes, SESSION_MESSAGES);
}

/** Hands a message to the handler registered for its type. */
export function dispatchSessionMessage<S>(
  handlers: SessionHandlers<S>,
  session: S,
  message: SessionMessage,
): Promise<void> {
  // The registry is keyed by `t`, so the handler found takes exactly this message's type.
  const handle = handlers[message.t] as (session: S, message: SessionMessage) => Promise<void>;
  return handle(session, message);
}
