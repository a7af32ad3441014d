/** The camera scan's decoding: a QR code drawn as the page draws it is read back from its pixels. */
import qrcode from 'qrcode-generator';
import { describe, expect, it } from 'vitest';
import { decodeFrame, scanSquare } from '../app/logic/qr-scan.ts';

/** RGBA pixels of `text` as a QR code: `scale` pixels a module, a quiet zone of 4 modules, on a canvas `pad` pixels wider. */
function draw(text: string, scale = 4, pad = 0): { rgba: Uint8ClampedArray; size: number } {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const size = (n + 8) * scale + 2 * pad;
  const rgba = new Uint8ClampedArray(size * size * 4).fill(255);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const r = Math.floor((y - pad) / scale) - 4;
      const c = Math.floor((x - pad) / scale) - 4;
      if (r >= 0 && c >= 0 && r < n && c < n && qr.isDark(r, c)) {
        const i = (y * size + x) * 4;
        rgba[i] = rgba[i + 1] = rgba[i + 2] = 0;
      }
    }
  return { rgba, size };
}

describe('QR scan', () => {
  it('reads back an invite-sized code from the pixels of a frame', () => {
    const invite = `kith1:${'AbC9-_'.repeat(30)}`;
    const { rgba, size } = draw(invite, 3, 40);
    expect(decodeFrame(rgba, size, size)).toBe(invite);
  });

  it('finds nothing in a blank frame or a short buffer', () => {
    const blank = new Uint8ClampedArray(200 * 200 * 4).fill(255);
    expect(decodeFrame(blank, 200, 200)).toBeNull();
    expect(decodeFrame(new Uint8ClampedArray(10), 200, 200)).toBeNull();
  });

  it('reads the centred square of a wide picture, at most 640 pixels a side', () => {
    expect(scanSquare(1280, 720)).toEqual({ sx: 280, sy: 0, side: 720, size: 640 });
    expect(scanSquare(480, 640)).toEqual({ sx: 0, sy: 80, side: 480, size: 480 });
  });
});
