/**
 * The forward-secrecy schedule (docs/SECURITY.md "Forward secrecy"): how long epochs and
 * prekeys live and when their keys are erased. Tests inject a clock to move time.
 *
 *   epoch       ends after epochMaxAgeMs or epochMaxMessages, whichever comes first;
 *   epoch key   erased epochMaxAgeMs + epochLateMs after the epoch began (its messages are
 *               sealed under the storage key first), so at most 14 days by default;
 *   prekey      a new one every prekeyRotateMs; senders use one until prekeyUseMs after it was
 *               made; its private half is erased prekeyKeepMs after it was made (30 days).
 */
import { EPOCH_MAX_AGE_MS, EPOCH_MAX_MESSAGES } from '@kith/core/messaging/epoch-key';

const DAY = 24 * 60 * 60 * 1000;

export interface SecrecySchedule {
  clock: () => number;
  epochMaxAgeMs: number;
  epochMaxMessages: number;
  /** Messages of an ended epoch may still arrive (held by relays) this long. */
  epochLateMs: number;
  prekeyRotateMs: number;
  prekeyUseMs: number;
  prekeyKeepMs: number;
  /** How often the sweep (rotation and erasure) runs. */
  sweepMs: number;
}

export const DEFAULT_SECRECY_SCHEDULE: Omit<SecrecySchedule, 'clock'> = {
  epochMaxAgeMs: EPOCH_MAX_AGE_MS,
  epochMaxMessages: EPOCH_MAX_MESSAGES,
  epochLateMs: 7 * DAY,
  prekeyRotateMs: 7 * DAY,
  prekeyUseMs: 14 * DAY,
  prekeyKeepMs: 30 * DAY,
  sweepMs: 60 * 60 * 1000,
};
