import { render } from 'preact';
import { App } from './app.tsx';

render(<App />, document.getElementById('app')!);

// Installable app: the service worker caches the shell only (public/sw.js).
if ('serviceWorker' in navigator && window.isSecureContext)
  navigator.serviceWorker.register('/sw.js').catch(() => {});
