/**
 * Headers on every answer of the web part (docs/SECURITY.md "Web UI"). Everything is served from
 * the page's own origin, so the policy allows 'self' only; nothing here needs HTTPS, so a
 * plain-HTTP page on loopback works the same (no HSTS, no upgrade-insecure-requests).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(self), microphone=(), geolocation=()',
  };
}

/**
 * A state-changing request must come from a page of this origin: the Origin header (which
 * browsers always send on POST, PUT, DELETE and WebSocket upgrades) names this scheme and host.
 */
export function originAllowed(
  origin: string | undefined,
  scheme: 'http' | 'https',
  host: string | undefined,
): boolean {
  if (!origin || !host) return false;
  return origin === `${scheme}://${host}`;
}
