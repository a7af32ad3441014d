import { Type } from '@sinclair/typebox';
import { MAX_WINDOW_PERIOD_MS, MIN_WINDOW_OPEN_MS, MIN_WINDOW_PERIOD_MS } from '../net/port-window.ts';
import { defineMessage } from './message.ts';

/**
 * The sender's port-window schedule (docs/PROTOCOL.md "Port windows"), sent on every link to its
 * own devices and friends when the link comes up and again whenever the key rotates; never to
 * anyone else. `key` null: the sender's port is open all the time (windows off). The receiver
 * keeps the newest one per sending device; `gen` grows with each rotation.
 */
export const WindowKeyMessage = defineMessage('window-key', 1, 256, {
  gen: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  key: Type.Union([Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }), Type.Null()]),
  periodMs: Type.Integer({ minimum: MIN_WINDOW_PERIOD_MS, maximum: MAX_WINDOW_PERIOD_MS }),
  openMs: Type.Integer({ minimum: MIN_WINDOW_OPEN_MS, maximum: MAX_WINDOW_PERIOD_MS }),
});
