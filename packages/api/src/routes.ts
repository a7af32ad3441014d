/**
 * Every route of the local API, by name: method, path (under /api), and the schemas of its
 * path parameters, query, body and answer. The agent registers its routes with these schemas
 * and the client derives its types from them, so no shape is written twice.
 */
import Type, { type TSchema } from 'typebox';
import * as A from './schemas/agent.ts';
import * as Ar from './schemas/archive.ts';
import * as R from './schemas/archive-restore.ts';
import { NoBody, SentItem } from './schemas/common.ts';
import * as C from './schemas/conversations.ts';
import * as K from './schemas/control.ts';
import * as M from './schemas/messages.ts';
import * as N from './schemas/network.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

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
  health: route({ method: 'GET', path: '/health', response: A.Health }),
  getLogLevel: route({ method: 'GET', path: '/log-level', response: A.LogLevel }),
  setLogLevel: route({ method: 'PUT', path: '/log-level', body: A.LogLevel, response: A.LogLevel }),

  identity: route({ method: 'GET', path: '/identity', response: N.Identity }),
  status: route({ method: 'GET', path: '/status', response: N.AgentStatus }),
  friends: route({ method: 'GET', path: '/friends', response: Type.Array(N.Friend) }),
  peers: route({ method: 'GET', path: '/peers', response: Type.Array(N.Peer) }),
  relayStatus: route({ method: 'GET', path: '/relay/status', response: Ar.RelayStatus }),
  unfriend: route({
    method: 'POST',
    path: '/friends/:userId/unfriend',
    params: N.FriendUserParams,
    response: N.Unfriended,
  }),
  pendingFriends: route({ method: 'GET', path: '/friends/pending', response: Type.Array(N.PendingFriend) }),
  endedPairings: route({
    method: 'GET',
    path: '/friends/pairings-ended',
    response: Type.Array(N.EndedPairing),
  }),
  confirmFriend: route({
    method: 'POST',
    path: '/friends/:userId/confirm',
    params: N.FriendUserParams,
    response: N.FriendDecision,
  }),
  rejectFriend: route({
    method: 'POST',
    path: '/friends/:userId/reject',
    params: N.FriendUserParams,
    response: N.FriendDecision,
  }),
  createInvite: route({
    method: 'POST',
    path: '/invites',
    body: N.CreateInviteBody,
    response: N.CreatedInvite,
  }),
  invites: route({ method: 'GET', path: '/invites', response: Type.Array(N.OpenInvite) }),
  cancelInvites: route({
    method: 'POST',
    path: '/invites/cancel',
    body: N.CancelInvitesBody,
    response: N.CancelledInvites,
  }),
  invite: route({ method: 'GET', path: '/invites/:id', params: N.InviteIdParams, response: N.InviteStatus }),
  acceptInvite: route({
    method: 'POST',
    path: '/pairing/accept',
    body: N.AcceptBody,
    response: N.PairingResult,
  }),
  revokeDevice: route({ method: 'POST', path: '/devices/revoke', body: N.RevokeBody, response: N.Revoked }),
  identityLog: route({ method: 'GET', path: '/identity/log', response: N.IdentityLog }),
  setName: route({ method: 'POST', path: '/identity/name', body: K.SetNameBody, response: K.NameSet }),
  phraseStatus: route({ method: 'GET', path: '/identity/phrase', response: K.PhraseStatus }),
  revealPhrase: route({ method: 'POST', path: '/identity/phrase/reveal', response: K.RevealedPhrase }),

  setupState: route({ method: 'GET', path: '/setup', response: K.SetupState }),
  setupCreate: route({
    method: 'POST',
    path: '/setup/create',
    body: K.SetupCreateBody,
    response: K.SetupCreated,
  }),
  setupEnrol: route({
    method: 'POST',
    path: '/setup/enrol',
    body: K.SetupEnrolBody,
    response: K.SetupEnrolled,
  }),
  setupRecover: route({
    method: 'POST',
    path: '/setup/recover',
    body: K.SetupRecoverBody,
    response: K.SetupRecovered,
  }),
  setupRestore: route({
    method: 'POST',
    path: '/setup/restore',
    body: K.OctetStream,
    response: K.SetupRestored,
  }),

  lockState: route({ method: 'GET', path: '/lock', response: K.LockState }),
  unlock: route({ method: 'POST', path: '/unlock', body: K.UnlockBody, response: K.LockState }),
  lock: route({ method: 'POST', path: '/lock', response: K.LockState }),
  backup: route({ method: 'POST', path: '/backup', body: K.BackupBody, response: K.OctetStream }),

  createWebCode: route({ method: 'POST', path: '/web/codes', body: K.WebCodeBody, response: K.WebCode }),
  redeemWebCode: route({ method: 'POST', path: '/web/sessions', body: K.RedeemBody, response: K.Redeemed }),
  checkWebSession: route({
    method: 'POST',
    path: '/web/sessions/check',
    body: K.CheckSessionBody,
    response: K.WebSession,
  }),
  webSessions: route({ method: 'GET', path: '/web/sessions', response: Type.Array(K.WebSession) }),
  revokeWebSession: route({
    method: 'DELETE',
    path: '/web/sessions/:id',
    params: K.WebSessionParams,
    response: K.SessionRevoked,
  }),
  checkRule: route({ method: 'POST', path: '/rules/check', body: K.RuleCheckBody, response: K.RuleChecked }),

  sendMessage: route({ method: 'POST', path: '/messages', body: M.SendMessageBody, response: SentItem }),
  messages: route({
    method: 'GET',
    path: '/messages',
    query: M.MessagesQuery,
    response: Type.Array(M.MessageView),
  }),
  pendingMessages: route({ method: 'GET', path: '/messages/pending', response: M.PendingCount }),

  createConversation: route({
    method: 'POST',
    path: '/conversations',
    body: C.CreateConversationBody,
    response: C.ConversationSummary,
  }),
  conversations: route({
    method: 'GET',
    path: '/conversations',
    query: C.ConversationsQuery,
    response: Type.Array(C.ConversationListItem),
  }),
  conversation: route({
    method: 'GET',
    path: '/conversations/:id',
    params: C.ConversationIdParams,
    response: C.ConversationView,
  }),
  evaluation: route({
    method: 'GET',
    path: '/conversations/:id/evaluation',
    params: C.ConversationIdParams,
    response: C.ConversationEvaluation,
  }),
  post: route({
    method: 'POST',
    path: '/conversations/:id/posts',
    params: C.ConversationIdParams,
    body: C.PostBody,
    response: SentItem,
  }),
  argue: route({
    method: 'POST',
    path: '/conversations/:id/arguments',
    params: C.ConversationIdParams,
    body: C.ArgumentBody,
    response: SentItem,
  }),
  vote: route({
    method: 'POST',
    path: '/conversations/:id/votes',
    params: C.ConversationIdParams,
    body: C.VoteBody,
    response: SentItem,
  }),
  recordOutcome: route({
    method: 'POST',
    path: '/conversations/:id/outcome',
    params: C.ConversationIdParams,
    response: C.RecordedOutcome,
  }),

  archiveStatus: route({ method: 'GET', path: '/archive/status', response: Ar.ArchiveStatus }),
  putBlob: route({ method: 'POST', path: '/archive/blobs', body: Ar.PutBlobBody, response: Ar.PutResult }),
  checkArchive: route({ method: 'POST', path: '/archive/check', body: NoBody, response: Ar.Challenged }),
  repairArchive: route({ method: 'POST', path: '/archive/repair', body: NoBody, response: Ar.ArchiveStatus }),
  syncArchive: route({ method: 'POST', path: '/archive/sync', body: NoBody, response: Ar.SyncReport }),
  archiveHistory: route({ method: 'GET', path: '/archive/history', response: Type.Array(Ar.HistoryItem) }),
  archiveCurrent: route({ method: 'GET', path: '/archive/current', response: Type.Array(Ar.CurrentItem) }),
  archiveItem: route({
    method: 'GET',
    path: '/archive/items/:id',
    params: Ar.ArchiveItemParams,
    response: Ar.Transcript,
  }),
  archiveBlob: route({
    method: 'GET',
    path: '/archive/blobs/:id',
    params: Ar.ArchiveItemParams,
    response: Ar.SealedBlob,
  }),
  adoptIndex: route({
    method: 'POST',
    path: '/archive/indexes/:name/adopt',
    params: Ar.IndexNameParams,
    body: Ar.AdoptIndexBody,
    response: Ar.Adopted,
  }),
  restoreConversation: route({
    method: 'POST',
    path: '/archive/restore',
    body: Ar.RestoreConversationBody,
    response: Ar.Restored,
  }),
  restoreArchive: route({
    method: 'POST',
    path: '/archive/restore-run',
    body: R.RestoreArchiveBody,
    response: R.RestoreRun,
  }),
  restoreArchiveState: route({ method: 'GET', path: '/archive/restore-run', response: R.RestoreRun }),
  restoreFriends: route({
    method: 'POST',
    path: '/archive/friends/restore',
    body: Ar.RestoreFriendsBody,
    response: Ar.FriendsRestored,
  }),
  archiveIndex: route({
    method: 'GET',
    path: '/archive/indexes/:name',
    params: Ar.IndexNameParams,
    response: Ar.SealedIndex,
  }),
} as const;

export type Routes = typeof ROUTES;
export type RouteName = keyof Routes;
