/** What pairing hands out and keeps (pairing-service.ts, docs/PROTOCOL.md §9). */
import type { InviteRole } from '@kith/core/pairing/invite-code';

export interface CreatedInvite {
  id: string;
  role: InviteRole;
  code: string;
  /** The code to say aloud on a LAN (docs/PROTOCOL.md §9a), when one was asked for. */
  shortCode?: string;
  expiresAt: string;
}

export interface OpenInvite {
  id: string;
  role: InviteRole;
  createdAt: string;
  expiresAt: string;
  /** The number of its short code, if it has one (the words stay secret). */
  nameplate: number | null;
}

export interface PairingResult {
  role: InviteRole;
  userId: string;
  name: string | null;
  deviceId: string;
  sas: string;
  /** A friend's device recovered from the phrase with this (friend) invite. */
  recovery?: true;
}

export interface SealedInvite {
  secret: Uint8Array;
  /** For a device invite: the prepared device-enrol message and the own-log length it builds on. */
  enrol: Uint8Array | null;
  baseLength: number;
  /** The words of its short code, if it has one. */
  words?: string[];
}
