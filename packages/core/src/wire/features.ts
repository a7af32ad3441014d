/**
 * Features (docs/PROTOCOL.md §7 "Features"): link messages added after a release are sent only to
 * a peer that announced it reads them, because a node of an older version closes the link on an
 * unknown message type. A node announces its features in every heartbeat, as entries of the
 * `versions` list (which names address-record versions by device id): `{ device: '+NAME', seq: 1 }`.
 * No device id starts with `+`, and a node of an older version looks up the ids it holds records
 * for and passes over the rest, so the marks cost it nothing.
 */

/** The prefix of a feature mark in a heartbeat's `versions`. */
export const FEATURE_MARK = '+';

/** Features this version reads: `archive-drop` (§12 "Superseded items"). */
export const FEATURES = ['archive-drop'] as const;
export type Feature = (typeof FEATURES)[number];

/** The marks a heartbeat carries, first in its `versions`. */
export function featureMarks(): { device: string; seq: number }[] {
  return FEATURES.map((f) => ({ device: `${FEATURE_MARK}${f}`, seq: 1 }));
}

/** The features a peer's heartbeat announces (marks of features this version does not know included). */
export function announcedFeatures(versions: readonly { device: string }[]): string[] {
  return versions.filter((v) => v.device.startsWith(FEATURE_MARK)).map((v) => v.device.slice(1));
}
