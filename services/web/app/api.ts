import type { BodyOf, ResponseOf } from '@kith/api';
import { createApiClient } from '@kith/api/client';
import { BACKUP_PASSPHRASE_HEADER } from '@kith/api/headers';
import { isKithError } from '@kith/core/errors';
/**
 * The browser's view of the agent: same-origin calls to the web part, which holds the agent's
 * token and passes allowed routes on (the browser never sees the token). The shapes are those
 * of docs/API.md, taken from @kith/api's route schemas.
 */
export interface ApiErrorBody {
  error: { code: string; message: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/* Every shape below is the agent's route schema in @kith/api (types only: core <- web), so no
   shape is written twice; the web part's own answers (/web/...) are declared here. */
export type Identity = ResponseOf<'identity'>;
export type Device = Identity['devices'][number];
export type Friend = ResponseOf<'friends'>[number];
export type PendingFriend = ResponseOf<'pendingFriends'>[number];
export type EndedPairing = ResponseOf<'endedPairings'>[number];
export type OpenInvite = ResponseOf<'invites'>[number];
export type Peer = ResponseOf<'peers'>[number];
export type Status = ResponseOf<'status'>;
export type Message = ResponseOf<'messages'>[number];
export type Invite = ResponseOf<'createInvite'>;
export type PairingResult = ResponseOf<'acceptInvite'>;
export type InviteState = ResponseOf<'invite'>;
export type ConversationSummary = ResponseOf<'conversations'>[number];
export type ConversationView = ResponseOf<'conversation'>;
export type TimelineEntry = ConversationView['timeline'][number];
export type MethodResult = ConversationView['result'];
export type Tally = ConversationView['tally'];
export type CreateConversation = BodyOf<'createConversation'>;
export type VoteBody = BodyOf<'vote'>;
export type RuleCheck = ResponseOf<'checkRule'>;
export type ArchiveStatus = ResponseOf<'archiveStatus'>;
export type ArchiveListItem = ResponseOf<'archiveHistory'>[number] | ResponseOf<'archiveCurrent'>[number];
export type ArchiveTranscript = ResponseOf<'archiveItem'>;
export type RestoreRun = ResponseOf<'restoreArchiveState'>;
export type SetupState = ResponseOf<'setupState'>;
export type SetupEnrolled = ResponseOf<'setupEnrol'>;
export type SetupRecovered = ResponseOf<'setupRecover'>;
export type SetupRestored = ResponseOf<'setupRestore'>;
/** The agent's session, and whether it is the one this page is signed in with (the web part adds it). */
export type WebSession = ResponseOf<'webSessions'>[number] & { current?: boolean };

/** The web part's own routes (/web/...: sign-in and sessions), which are not the agent's. */
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json().catch(() => ({}))) as T | ApiErrorBody;
  if (!response.ok) {
    const err = (json as ApiErrorBody).error;
    throw new ApiError(
      response.status,
      err?.code ?? 'INTERNAL',
      err?.message ?? `The node answered ${response.status}.`,
    );
  }
  return json as T;
}

/**
 * The typed client of the agent's routes (@kith/api), on this page's origin: no token, the
 * session cookie goes along and the web part adds the agent's token to allowed routes.
 */
export const agent = createApiClient({ baseUrl: '' });

/** UTF-8 as base64url: how a passphrase travels in a header (which carries no other bytes). */
export function base64url(text: string): string {
  let binary = '';
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The stable code of an error from either the agent's client or the web part's routes. */
export function errorCode(e: unknown): string | undefined {
  return e instanceof ApiError || isKithError(e) ? e.code : undefined;
}

export const api = {
  session: () =>
    call<{ session: WebSession; scheme: string; fingerprint: string | null }>('GET', '/web/session'),
  signIn: (code: string) => call<{ session: WebSession }>('POST', '/web/signin', { code }),
  signOut: () => call('POST', '/web/signout', {}),
  sessions: () => call<WebSession[]>('GET', '/web/sessions'),
  revokeSession: (sid: string) => call('DELETE', `/web/sessions/${encodeURIComponent(sid)}`),

  setupState: () => agent.setupState(),
  setupCreate: (body: BodyOf<'setupCreate'>) => agent.setupCreate({ body }),
  setupEnrol: (body: BodyOf<'setupEnrol'>) => agent.setupEnrol({ body }),
  setupRecover: (body: BodyOf<'setupRecover'>) => agent.setupRecover({ body }),
  /** `kith restore` on this waiting node: the file streams up; the passphrase goes in its header. */
  setupRestore: (file: Blob, passphrase: string) =>
    agent.upload('setupRestore', file, { [BACKUP_PASSPHRASE_HEADER]: base64url(passphrase) }),

  identity: () => agent.identity(),
  identityLog: () => agent.identityLog(),
  status: () => agent.status(),
  relayStatus: () => agent.relayStatus(),
  friends: () => agent.friends(),
  peers: () => agent.peers(),
  /** `ttlMs`: how long the invite stays open (the CLI's --ttl; the agent's default without it). */
  invite: (role: 'friend' | 'device', phrase?: string, ttlMs?: number, bip39Passphrase?: string) =>
    agent.createInvite({
      body: {
        role,
        ...(phrase ? { phrase } : {}),
        ...(ttlMs ? { ttlMs } : {}),
        ...(bip39Passphrase ? { bip39Passphrase } : {}),
      },
    }),
  /** A friend invite that also has a short code to say aloud (same network, docs/PROTOCOL.md §9a). */
  inviteWithShortCode: (ttlMs?: number) =>
    agent.createInvite({ body: { role: 'friend', short: true, ...(ttlMs ? { ttlMs } : {}) } }),
  openInvites: () => agent.invites(),
  /** Ends one open invite (its code no longer works). */
  cancelInvite: (inviteId: string) => agent.cancelInvites({ body: { id: inviteId } }),
  setName: (name: string) => agent.setName({ body: { name } }),
  inviteState: (inviteId: string) => agent.invite({ params: { id: inviteId } }),
  accept: (code: string) => agent.acceptInvite({ body: { code } }),
  revokeDevice: (deviceId: string, phrase: string, bip39Passphrase?: string) =>
    agent.revokeDevice({ body: { deviceId, phrase, ...(bip39Passphrase ? { bip39Passphrase } : {}) } }),
  pendingFriends: () => agent.pendingFriends(),
  endedPairings: () => agent.endedPairings(),
  confirmFriend: (userId: string) => agent.confirmFriend({ params: { userId } }),
  rejectFriend: (userId: string) => agent.rejectFriend({ params: { userId } }),
  removeFriend: (userId: string) => agent.unfriend({ params: { userId } }),

  messages: (conversation?: string) => agent.messages(conversation ? { query: { conversation } } : {}),
  send: (body: BodyOf<'sendMessage'>) => agent.sendMessage({ body }),

  /** `kith conversation list [--status open|closed]`. */
  conversations: (status?: 'open' | 'closed') => agent.conversations(status ? { query: { status } } : {}),
  conversation: (cid: string) => agent.conversation({ params: { id: cid } }),
  createConversation: (body: CreateConversation) => agent.createConversation({ body }),
  post: (cid: string, text: string) => agent.post({ params: { id: cid }, body: { text } }),
  argue: (cid: string, body: BodyOf<'argue'>) => agent.argue({ params: { id: cid }, body }),
  vote: (cid: string, ballot: VoteBody) => agent.vote({ params: { id: cid }, body: ballot }),
  checkRule: (rule: string) => agent.checkRule({ body: { rule } }),

  archiveStatus: () => agent.archiveStatus(),
  archiveSync: () => agent.syncArchive({ body: {} }),
  archiveHistory: (): Promise<ArchiveListItem[]> => agent.archiveHistory(),
  archiveCurrent: (): Promise<ArchiveListItem[]> => agent.archiveCurrent(),
  archiveItem: (itemId: string) => agent.archiveItem({ params: { id: itemId } }),
  /** `kith archive restore [--phrase-file]`: starts the agent's run; its events tell the rest. */
  restoreArchive: (body: BodyOf<'restoreArchive'>) => agent.restoreArchive({ body }),
  restoreArchiveState: () => agent.restoreArchiveState(),
  /** `kith archive rewrap --phrase-file F`: items still sealed to a revoked device, sealed anew. */
  rewrapArchive: (phrase: string, bip39Passphrase?: string) =>
    agent.rewrapArchive({ body: { phrase, ...(bip39Passphrase ? { bip39Passphrase } : {}) } }),

  phraseStatus: () => agent.phraseStatus(),
  revealPhrase: () => agent.revealPhrase(),
  unlock: (passphrase: string) => agent.unlock({ body: { passphrase } }),
  lock: () => agent.lock(),
};
