/**
 * Every route of the local API, by name: method and path (under /api; route-paths.ts, the one
 * place they are written), and the schemas of its path parameters, query, body and answer. The
 * agent registers its routes with these schemas and the client derives its types from them, so
 * no shape is written twice.
 */
import Type, { type TSchema } from 'typebox';
import * as A from './schemas/agent.ts';
import * as Ar from './schemas/archive.ts';
import * as Rs from './schemas/archive-restore.ts';
import { NoBody, SentItem } from './schemas/common.ts';
import * as C from './schemas/conversations.ts';
import * as K from './schemas/control.ts';
import * as M from './schemas/messages.ts';
import * as N from './schemas/network.ts';
import { type HttpMethod, ROUTE_PATHS as P } from './route-paths.ts';

export type { HttpMethod };

export interface RouteSpec {
  readonly method: HttpMethod;
  /** Under /api; `:name` segments are path parameters. */
  readonly path: string;
  readonly params?: TSchema;
  readonly query?: TSchema;
  readonly body?: TSchema;
  /** The 200 answer (OctetStream: bytes, read with `ApiClient.stream`). */
  readonly response: TSchema;
}

const route = <const R extends RouteSpec>(r: R): R => r;

export const ROUTES = {
  health: route({ ...P.health, response: A.Health }),
  getLogLevel: route({ ...P.getLogLevel, response: A.LogLevel }),
  setLogLevel: route({ ...P.setLogLevel, body: A.LogLevel, response: A.LogLevel }),

  identity: route({ ...P.identity, response: N.Identity }),
  status: route({ ...P.status, response: N.AgentStatus }),
  friends: route({ ...P.friends, response: Type.Array(N.Friend) }),
  peers: route({ ...P.peers, response: Type.Array(N.Peer) }),
  relayStatus: route({ ...P.relayStatus, response: Ar.RelayStatus }),
  unfriend: route({ ...P.unfriend, params: N.FriendUserParams, response: N.Unfriended }),
  pendingFriends: route({ ...P.pendingFriends, response: Type.Array(N.PendingFriend) }),
  endedPairings: route({ ...P.endedPairings, response: Type.Array(N.EndedPairing) }),
  confirmFriend: route({ ...P.confirmFriend, params: N.FriendUserParams, response: N.FriendDecision }),
  rejectFriend: route({ ...P.rejectFriend, params: N.FriendUserParams, response: N.FriendDecision }),
  createInvite: route({ ...P.createInvite, body: N.CreateInviteBody, response: N.CreatedInvite }),
  invites: route({ ...P.invites, response: Type.Array(N.OpenInvite) }),
  cancelInvites: route({ ...P.cancelInvites, body: N.CancelInvitesBody, response: N.CancelledInvites }),
  invite: route({ ...P.invite, params: N.InviteIdParams, response: N.InviteStatus }),
  acceptInvite: route({ ...P.acceptInvite, body: N.AcceptBody, response: N.PairingResult }),
  revokeDevice: route({ ...P.revokeDevice, body: N.RevokeBody, response: N.Revoked }),
  identityLog: route({ ...P.identityLog, response: N.IdentityLog }),
  setName: route({ ...P.setName, body: K.SetNameBody, response: K.NameSet }),
  phraseStatus: route({ ...P.phraseStatus, response: K.PhraseStatus }),
  revealPhrase: route({ ...P.revealPhrase, response: K.RevealedPhrase }),

  setupState: route({ ...P.setupState, response: K.SetupState }),
  setupCreate: route({ ...P.setupCreate, body: K.SetupCreateBody, response: K.SetupCreated }),
  setupEnrol: route({ ...P.setupEnrol, body: K.SetupEnrolBody, response: K.SetupEnrolled }),
  setupRecover: route({ ...P.setupRecover, body: K.SetupRecoverBody, response: K.SetupRecovered }),
  setupRestore: route({ ...P.setupRestore, body: K.OctetStream, response: K.SetupRestored }),

  lockState: route({ ...P.lockState, response: K.LockState }),
  unlock: route({ ...P.unlock, body: K.UnlockBody, response: K.LockState }),
  lock: route({ ...P.lock, response: K.LockState }),
  backup: route({ ...P.backup, body: K.BackupBody, response: K.OctetStream }),

  createWebCode: route({ ...P.createWebCode, body: K.WebCodeBody, response: K.WebCode }),
  redeemWebCode: route({ ...P.redeemWebCode, body: K.RedeemBody, response: K.Redeemed }),
  checkWebSession: route({ ...P.checkWebSession, body: K.CheckSessionBody, response: K.WebSession }),
  webSessions: route({ ...P.webSessions, response: Type.Array(K.WebSession) }),
  revokeWebSession: route({ ...P.revokeWebSession, params: K.WebSessionParams, response: K.SessionRevoked }),
  checkRule: route({ ...P.checkRule, body: K.RuleCheckBody, response: K.RuleChecked }),

  sendMessage: route({ ...P.sendMessage, body: M.SendMessageBody, response: SentItem }),
  messages: route({ ...P.messages, query: M.MessagesQuery, response: Type.Array(M.MessageView) }),
  pendingMessages: route({ ...P.pendingMessages, response: M.PendingCount }),

  createConversation: route({
    ...P.createConversation,
    body: C.CreateConversationBody,
    response: C.ConversationSummary,
  }),
  conversations: route({
    ...P.conversations,
    query: C.ConversationsQuery,
    response: Type.Array(C.ConversationListItem),
  }),
  conversation: route({ ...P.conversation, params: C.ConversationIdParams, response: C.ConversationView }),
  evaluation: route({ ...P.evaluation, params: C.ConversationIdParams, response: C.ConversationEvaluation }),
  post: route({ ...P.post, params: C.ConversationIdParams, body: C.PostBody, response: SentItem }),
  argue: route({ ...P.argue, params: C.ConversationIdParams, body: C.ArgumentBody, response: SentItem }),
  vote: route({ ...P.vote, params: C.ConversationIdParams, body: C.VoteBody, response: SentItem }),
  recordOutcome: route({ ...P.recordOutcome, params: C.ConversationIdParams, response: C.RecordedOutcome }),

  archiveStatus: route({ ...P.archiveStatus, response: Ar.ArchiveStatus }),
  putBlob: route({ ...P.putBlob, body: Ar.PutBlobBody, response: Ar.PutResult }),
  checkArchive: route({ ...P.checkArchive, body: NoBody, response: Ar.Challenged }),
  repairArchive: route({ ...P.repairArchive, body: NoBody, response: Ar.ArchiveStatus }),
  syncArchive: route({ ...P.syncArchive, body: NoBody, response: Ar.SyncReport }),
  rewrapArchive: route({ ...P.rewrapArchive, body: Ar.RewrapBody, response: Ar.RewrapResult }),
  archiveHistory: route({ ...P.archiveHistory, response: Type.Array(Ar.HistoryItem) }),
  archiveCurrent: route({ ...P.archiveCurrent, response: Type.Array(Ar.CurrentItem) }),
  archiveItem: route({ ...P.archiveItem, params: Ar.ArchiveItemParams, response: Ar.Transcript }),
  archiveBlob: route({ ...P.archiveBlob, params: Ar.ArchiveItemParams, response: Ar.SealedBlob }),
  adoptIndex: route({
    ...P.adoptIndex,
    params: Ar.IndexNameParams,
    body: Ar.AdoptIndexBody,
    response: Ar.Adopted,
  }),
  restoreArchive: route({ ...P.restoreArchive, body: Rs.RestoreArchiveBody, response: Rs.RestoreRun }),
  restoreArchiveState: route({ ...P.restoreArchiveState, response: Rs.RestoreRun }),
  archiveIndex: route({ ...P.archiveIndex, params: Ar.IndexNameParams, response: Ar.SealedIndex }),
} as const;

export type Routes = typeof ROUTES;
export type RouteName = keyof Routes;
