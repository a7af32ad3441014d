/**
 * Reading a QR code from one camera frame (RGBA pixels), with jsQR bundled into the app: the
 * frame never leaves the page and no request leaves the LAN.
 */
import * as jsqr from 'jsqr';

type Decode = (
  data: Uint8ClampedArray,
  width: number,
  height: number,
  options?: { inversionAttempts?: 'dontInvert' },
) => { data: string } | null;

/**
 * jsQR is a CommonJS module whose decoder is `module.exports` (and its `.default`): the
 * namespace's `default` in Vite's bundle and in Node, typed differently by the two tsconfigs.
 */
const decode: Decode = (() => {
  let m: unknown = jsqr;
  for (let i = 0; i < 3 && typeof m !== 'function'; i++) m = (m as { default?: unknown }).default;
  return m as Decode;
})();

/** The text of the QR code in the frame, or null when none is readable. */
export function decodeFrame(rgba: Uint8ClampedArray, width: number, height: number): string | null {
  if (rgba.length < width * height * 4) return null;
  const found = decode(rgba, width, height, { inversionAttempts: 'dontInvert' });
  const text = found?.data.trim();
  return text ? text : null;
}

/**
 * The largest square frame to read, centred in the camera's picture, at most `limit` pixels a
 * side (a smaller frame keeps a phone's per-frame work small).
 */
export function scanSquare(
  videoWidth: number,
  videoHeight: number,
  limit = 640,
): { sx: number; sy: number; side: number; size: number } {
  const side = Math.min(videoWidth, videoHeight);
  return {
    sx: Math.floor((videoWidth - side) / 2),
    sy: Math.floor((videoHeight - side) / 2),
    side,
    size: Math.min(side, limit),
  };
}
