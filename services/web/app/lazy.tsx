import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A screen fetched the first time it is shown (Vite makes it a chunk of its own), so the screens
 * most visits never open stay out of the first download. The service worker keeps each chunk
 * once fetched (public/sw.js: /assets/ is shell).
 */
export function lazyScreen<P extends object>(
  load: () => Promise<ComponentType<P>>,
): (props: P) => JSX.Element {
  let loaded: ComponentType<P> | undefined;
  let pending: Promise<ComponentType<P>> | undefined;
  return function LazyScreen(props: P) {
    const [Screen, setScreen] = useState<ComponentType<P> | undefined>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (Screen) return;
      let live = true;
      pending ??= load().then((c) => {
        loaded = c;
        return c;
      });
      pending.then(
        (c) => {
          if (live) setScreen(() => c);
        },
        () => {
          pending = undefined;
          if (live) setFailed(true);
        },
      );
      return () => {
        live = false;
      };
    }, []);
    if (failed)
      return (
        <p class="error" role="alert">
          This page could not be loaded from the node; reload to try again.
        </p>
      );
    return Screen ? <Screen {...props} /> : <p class="loading">Loading…</p>;
  };
}
