/**
 * How long an identity log may be. Apart from log.ts so that code needing only the number (the
 * log export, which the web app bundles) does not pull in the log's verification and crypto.
 */
export const MAX_LOG_ENTRIES = 10_000;
