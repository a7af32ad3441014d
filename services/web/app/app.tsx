import { useCallback, useEffect, useState } from 'preact/hooks';
import { type Friend, type Identity, api, errorCode } from './api.ts';
import { ErrorNote } from './components/Errors.tsx';
import { onConnection, startEvents, useAgentEvents } from './events.ts';
import { PeopleContext } from './names.ts';
import { lazyScreen } from './lazy.tsx';
import { go, useRoute } from './route.ts';
import { ConversationScreen } from './screens/Conversation.tsx';
import { ConversationsScreen } from './screens/Conversations.tsx';
import { FriendsScreen } from './screens/Friends.tsx';
import { NewConversationScreen } from './screens/NewConversation.tsx';
import { SignInScreen } from './screens/SignIn.tsx';

// Screens most visits never open, each its own chunk, fetched when first shown (lazy.tsx).
const SetupScreen = lazyScreen(async () => (await import('./screens/Setup.tsx')).SetupScreen);
const OnboardingScreen = lazyScreen(async () => (await import('./screens/Onboarding.tsx')).OnboardingScreen);
const UnlockScreen = lazyScreen(async () => (await import('./screens/Unlock.tsx')).UnlockScreen);
const DevicesScreen = lazyScreen(async () => (await import('./screens/Devices.tsx')).DevicesScreen);
const NetworkScreen = lazyScreen(async () => (await import('./screens/Network.tsx')).NetworkScreen);
const ArchiveScreen = lazyScreen(async () => (await import('./screens/Archive.tsx')).ArchiveScreen);

const NAV: [path: string, label: string][] = [
  ['conversations', 'Conversations'],
  ['new', 'New conversation'],
  ['friends', 'Friends'],
  ['devices', 'Devices'],
  ['network', 'Network'],
  ['archive', 'Archive'],
  ['onboarding', 'Onboarding'],
  ['unlock', 'Unlock'],
];

type SessionState = 'checking' | 'signed-out' | 'signed-in';

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<SessionState>('checking');
  const [me, setMe] = useState<Identity | null>(null);
  const [friends, setFriends] = useState<Friend[]>([]);
  const [locked, setLocked] = useState(false);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<unknown>(null);
  /** Setup mode: the node has no identity yet and offers only create / enrol / recover. */
  const [setup, setSetup] = useState<'checking' | 'waiting' | 'ready'>('checking');

  useEffect(() => {
    api
      .session()
      .then(() => setSession('signed-in'))
      // Only while still checking: a code URL signs in meanwhile, and this earlier check's
      // "no session" must not sign that page out again when it arrives late (a loaded machine).
      .catch(() => setSession((s) => (s === 'checking' ? 'signed-out' : s)));
  }, []);

  const reload = useCallback(() => {
    api
      .identity()
      .then((i) => {
        setMe(i);
        setLocked(false);
      })
      .catch((e: unknown) => {
        const code = errorCode(e);
        if (code === 'KEYSTORE_LOCKED' || code === 'NODE_LOCKED') setLocked(true);
        else if (code === 'WEB_SESSION_INVALID') setSession('signed-out');
        else setError(e);
      });
    api
      .friends()
      .then(setFriends)
      .catch(() => {});
  }, []);

  useEffect(() => {
    if (session !== 'signed-in') return;
    startEvents();
    api
      .setupState()
      .then((s) => setSetup(s.state))
      // An agent from before setup mode has no such route: it has its identity.
      .catch(() => setSetup('ready'));
    return onConnection(setLive);
  }, [session]);
  useEffect(() => {
    if (session === 'signed-in' && setup === 'ready') reload();
  }, [session, setup, reload]);
  useAgentEvents(['friend.', 'identity.', 'pairing.', 'device.', 'node.'], () => {
    if (setup === 'ready') reload();
  });

  const page = route[0] ?? 'conversations';
  if (page === 'signin' && session !== 'signed-in')
    return <SignInScreen code={route[1]} onSignedIn={() => setSession('signed-in')} />;
  if (session === 'checking') return <p class="loading">Loading…</p>;
  if (session === 'signed-out') return <SignInScreen onSignedIn={() => setSession('signed-in')} />;
  if (page === 'signin') {
    go('conversations');
    return null;
  }
  if (setup === 'checking') return <p class="loading">Loading…</p>;
  if (setup === 'waiting') {
    return (
      <main id="main" tabIndex={-1}>
        <SetupScreen
          onReady={(created) => {
            setSetup('ready');
            go(created ? 'onboarding' : 'devices');
          }}
        />
      </main>
    );
  }

  return (
    <PeopleContext.Provider value={{ me, friends, reload }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand" aria-hidden="true">
          Kith
        </span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([path, label]) => (
              <li key={path}>
                <a href={`#/${path}`} aria-current={page === path ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`live ${live ? 'up' : 'down'}`} role="status">
          {live ? 'Live' : 'Reconnecting…'}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorNote error={error} />
        {locked && page !== 'unlock' ? (
          <p class="notice">
            This node is locked: it relays for friends but opens nothing. <a href="#/unlock">Unlock it</a>.
          </p>
        ) : null}
        <Screen route={route} page={page} />
      </main>
    </PeopleContext.Provider>
  );
}

function Screen({ route, page }: { route: string[]; page: string }) {
  switch (page) {
    case 'conversations':
      return route[1] ? <ConversationScreen id={route[1]} /> : <ConversationsScreen />;
    case 'chat':
      return <ConversationScreen chat={route[1]} to={route[2]} />;
    case 'new':
      return <NewConversationScreen />;
    case 'friends':
      return <FriendsScreen />;
    case 'devices':
      return <DevicesScreen />;
    case 'network':
      return <NetworkScreen />;
    case 'archive':
      return <ArchiveScreen item={route[1]} />;
    case 'onboarding':
      return <OnboardingScreen />;
    case 'unlock':
      return <UnlockScreen />;
    default:
      return <ConversationsScreen />;
  }
}
