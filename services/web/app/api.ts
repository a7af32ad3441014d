import type { ResponseOf } from '@kith/api';
/**
 * The browser's view of the agent: same-origin calls to the web part, which holds the agent's
 * token and passes allowed routes on (the browser never sees the token). The shapes are those
 * of docs/API.md; the shared typed client of @kith/api replaces them when it lands.
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

export interface Device {
  deviceId: string;
  index: number;
  name: string;
  status: string;
  current: boolean;
  online: boolean;
}
export interface Identity {
  userId: string;
  name: string;
  deviceId: string;
  devices: Device[];
}
export interface Friend {
  userId: string;
  name: string | null;
  addedAt?: string;
  relay?: boolean;
  online: boolean;
  address: string | null;
  devices?: { deviceId: string; online?: boolean }[];
}
export interface Peer {
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
}
export type Status = ResponseOf<'status'>;
export interface Message {
  id: string;
  conversation: string;
  from: string;
  fromDevice: string;
  text: string;
  sentAt: string;
  receivedAt: string | null;
  delivered: string[];
  relayed: string[];
}
export interface Invite {
  id: string;
  role: 'friend' | 'device';
  code: string;
  expiresAt: string;
}
export interface PairingResult {
  role: string;
  userId: string;
  name: string | null;
  deviceId: string;
  sas: string;
}
export interface InviteState {
  id: string;
  role: string;
  expiresAt: string;
  used: boolean;
  result: PairingResult | null;
}
export type ConversationSummary = ResponseOf<'conversations'>[number];
export interface TimelineEntry {
  id: string;
  author: string;
  kind: string;
  createdAt: string;
  body: Record<string, unknown>;
}
export interface MethodResult {
  passed: boolean;
  winner?: string | null;
  reason: string;
  error?: string;
}
export interface Tally {
  options: string[];
  eligible: number;
  turnout: number;
  remaining: number;
  voters: string[];
  ballots: Record<string, { kind: string } & Record<string, unknown>>;
  yesNo: { yes: number; no: number; abstain: number };
  choices: Record<string, number>;
  approvals: Record<string, number>;
  scores: Record<string, number>;
  dots: Record<string, number>;
  irv: {
    rounds: { counts: Record<string, number>; exhausted: number; eliminated: string | null }[];
    winner: string | null;
  };
  schulze: { strongest: Record<string, Record<string, number>>; winners: string[]; winner: string | null };
  borda: { scores: Record<string, number>; winner: string | null };
  tieOrder: string[];
  objections: { voter: string; reason: string }[];
  blocks: { voter: string; reason: string }[];
  acks: string[];
  rsvp: {
    yes: number;
    no: number;
    maybe: number;
    capacity: number | null;
    confirmed: string[];
    waitlist: string[];
  };
  rules: { score: { min: number; max: number }; dotBudget: number; capacity: number | null };
}
export interface ConversationView extends ConversationSummary {
  params: unknown;
  rule: string | null;
  done: boolean;
  result: MethodResult;
  tally: Tally;
  outcome: { id: string; result: MethodResult; evaluatedAt: string; events: number } | null;
  timeline: TimelineEntry[];
}
export interface ArchiveStatus {
  replicas: number;
  items: number;
  bytes: number;
  /** Number of items per copy count ("2": items held twice). */
  copies: Record<string, number>;
  holders: {
    deviceId: string;
    userId: string | null;
    own: boolean;
    self: boolean;
    online: boolean;
    held: number;
    failed: number;
    lost: number;
  }[];
  underReplicated: number;
  repair: {
    running: boolean;
    total: number;
    done: number;
    pendingStores: number;
    pendingChallenges: number;
    lastPassAt: string | null;
  };
  heldForOthers: { items: number; bytes: number };
}
export interface ArchiveListItem {
  id: string;
  topic: string;
  conversation: string | null;
  closedAt?: string;
  updatedAt?: string;
  messages?: number;
}
export interface ArchiveTranscript {
  id: string;
  title: string;
  archive: 'current' | 'history';
  kind: string;
  members: string[];
  closedAt: string | null;
  messages: { id: string; from: string; sentAt: string; text: string }[];
}
export interface WebSession {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  agent: string;
  current?: boolean;
}

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

  identity: () => call<Identity>('GET', '/api/identity'),
  status: () => call<Status>('GET', '/api/status'),
  friends: () => call<Friend[]>('GET', '/api/friends'),
  peers: () => call<Peer[]>('GET', '/api/peers'),
  invite: (role: 'friend' | 'device', phrase?: string) =>
    call<Invite>('POST', '/api/invites', phrase ? { role, phrase } : { role }),
  inviteState: (inviteId: string) => call<InviteState>('GET', `/api/invites/${id(inviteId)}`),
  accept: (code: string) => call<PairingResult>('POST', '/api/pairing/accept', { code }),
  revokeDevice: (deviceId: string, phrase: string) =>
    call<{ deviceId: string }>('POST', '/api/devices/revoke', { deviceId, phrase }),
  removeFriend: (userId: string) => call('POST', `/api/friends/${id(userId)}/unfriend`, {}),

  messages: (conversation?: string) =>
    call<Message[]>('GET', conversation ? `/api/messages?conversation=${id(conversation)}` : '/api/messages'),
  send: (body: { to?: string; conversation?: string; text: string }) =>
    call<{ id: string; conversation: string }>('POST', '/api/messages', body),

  conversations: () => call<ConversationSummary[]>('GET', '/api/conversations'),
  conversation: (cid: string) => call<ConversationView>('GET', `/api/conversations/${id(cid)}`),
  createConversation: (body: Record<string, unknown>) =>
    call<ConversationSummary>('POST', '/api/conversations', body),
  post: (cid: string, text: string) => call('POST', `/api/conversations/${id(cid)}/posts`, { text }),
  vote: (cid: string, ballot: Record<string, unknown>) =>
    call('POST', `/api/conversations/${id(cid)}/votes`, ballot),
  checkRule: (rule: string) =>
    call<{ ok: boolean; code?: string; message?: string }>('POST', '/api/rules/check', { rule }),

  archiveStatus: () => call<ArchiveStatus>('GET', '/api/archive/status'),
  archiveSync: () => call<Record<string, unknown>>('POST', '/api/archive/sync', {}),
  archiveHistory: () => call<ArchiveListItem[]>('GET', '/api/archive/history'),
  archiveCurrent: () => call<ArchiveListItem[]>('GET', '/api/archive/current'),
  archiveItem: (itemId: string) => call<ArchiveTranscript>('GET', `/api/archive/items/${id(itemId)}`),

  phraseStatus: () => call<{ pending: boolean; revealed?: boolean }>('GET', '/api/identity/phrase'),
  revealPhrase: () => call<{ phrase: string }>('POST', '/api/identity/phrase/reveal', {}),
  unlock: (passphrase: string) => call<{ locked: boolean }>('POST', '/api/unlock', { passphrase }),
  lock: () => call<{ locked: boolean }>('POST', '/api/lock', {}),
};
