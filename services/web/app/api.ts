import type { BodyOf, ResponseOf } from '@kith/api';
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
export type SetupState = ResponseOf<'setupState'>;
export type SetupEnrolled = ResponseOf<'setupEnrol'>;
export type SetupRecovered = ResponseOf<'setupRecover'>;
/** The agent's session, and whether it is the one this page is signed in with (the web part adds it). */
export type WebSession = ResponseOf<'webSessions'>[number] & { current?: boolean };

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

const id = encodeURIComponent;

export const api = {
  session: () =>
    call<{ session: WebSession; scheme: string; fingerprint: string | null }>('GET', '/web/session'),
  signIn: (code: string) => call<{ session: WebSession }>('POST', '/web/signin', { code }),
  signOut: () => call('POST', '/web/signout', {}),
  sessions: () => call<WebSession[]>('GET', '/web/sessions'),
  revokeSession: (sid: string) => call('DELETE', `/web/sessions/${id(sid)}`),

  setupState: () => call<SetupState>('GET', '/api/setup'),
  setupCreate: (body: BodyOf<'setupCreate'>) =>
    call<ResponseOf<'setupCreate'>>('POST', '/api/setup/create', body),
  setupEnrol: (code: string) => call<SetupEnrolled>('POST', '/api/setup/enrol', { code }),
  setupRecover: (body: BodyOf<'setupRecover'>) => call<SetupRecovered>('POST', '/api/setup/recover', body),

  identity: () => call<Identity>('GET', '/api/identity'),
  status: () => call<Status>('GET', '/api/status'),
  friends: () => call<Friend[]>('GET', '/api/friends'),
  peers: () => call<Peer[]>('GET', '/api/peers'),
  invite: (role: 'friend' | 'device', phrase?: string) =>
    call<Invite>('POST', '/api/invites', phrase ? { role, phrase } : { role }),
  /** A friend invite that also has a short code to say aloud (same network, docs/PROTOCOL.md §9a). */
  inviteWithShortCode: () => call<Invite>('POST', '/api/invites', { role: 'friend', short: true }),
  openInvites: () => call<OpenInvite[]>('GET', '/api/invites'),
  /** Ends one open invite (its code no longer works). */
  cancelInvite: (inviteId: string) =>
    call<ResponseOf<'cancelInvites'>>('POST', '/api/invites/cancel', { id: inviteId }),
  setName: (name: string) => call<ResponseOf<'setName'>>('POST', '/api/identity/name', { name }),
  inviteState: (inviteId: string) => call<InviteState>('GET', `/api/invites/${id(inviteId)}`),
  accept: (code: string) => call<PairingResult>('POST', '/api/pairing/accept', { code }),
  revokeDevice: (deviceId: string, phrase: string) =>
    call<ResponseOf<'revokeDevice'>>('POST', '/api/devices/revoke', { deviceId, phrase }),
  pendingFriends: () => call<PendingFriend[]>('GET', '/api/friends/pending'),
  endedPairings: () => call<EndedPairing[]>('GET', '/api/friends/pairings-ended'),
  confirmFriend: (userId: string) =>
    call<ResponseOf<'confirmFriend'>>('POST', `/api/friends/${id(userId)}/confirm`, {}),
  rejectFriend: (userId: string) =>
    call<ResponseOf<'rejectFriend'>>('POST', `/api/friends/${id(userId)}/reject`, {}),
  removeFriend: (userId: string) =>
    call<ResponseOf<'unfriend'>>('POST', `/api/friends/${id(userId)}/unfriend`, {}),

  messages: (conversation?: string) =>
    call<Message[]>('GET', conversation ? `/api/messages?conversation=${id(conversation)}` : '/api/messages'),
  send: (body: BodyOf<'sendMessage'>) => call<ResponseOf<'sendMessage'>>('POST', '/api/messages', body),

  conversations: () => call<ConversationSummary[]>('GET', '/api/conversations'),
  conversation: (cid: string) => call<ConversationView>('GET', `/api/conversations/${id(cid)}`),
  createConversation: (body: CreateConversation) =>
    call<ConversationSummary>('POST', '/api/conversations', body),
  post: (cid: string, text: string) => call('POST', `/api/conversations/${id(cid)}/posts`, { text }),
  argue: (cid: string, body: BodyOf<'argue'>) =>
    call<ResponseOf<'argue'>>('POST', `/api/conversations/${id(cid)}/arguments`, body),
  vote: (cid: string, ballot: VoteBody) => call('POST', `/api/conversations/${id(cid)}/votes`, ballot),
  checkRule: (rule: string) => call<RuleCheck>('POST', '/api/rules/check', { rule }),

  archiveStatus: () => call<ArchiveStatus>('GET', '/api/archive/status'),
  archiveSync: () => call<ResponseOf<'syncArchive'>>('POST', '/api/archive/sync', {}),
  archiveHistory: () => call<ArchiveListItem[]>('GET', '/api/archive/history'),
  archiveCurrent: () => call<ArchiveListItem[]>('GET', '/api/archive/current'),
  archiveItem: (itemId: string) => call<ArchiveTranscript>('GET', `/api/archive/items/${id(itemId)}`),

  phraseStatus: () => call<{ pending: boolean; revealed?: boolean }>('GET', '/api/identity/phrase'),
  revealPhrase: () => call<{ phrase: string }>('POST', '/api/identity/phrase/reveal', {}),
  unlock: (passphrase: string) => call<{ locked: boolean }>('POST', '/api/unlock', { passphrase }),
  lock: () => call<{ locked: boolean }>('POST', '/api/lock', {}),
};
