import { useEffect, useRef, useState } from 'preact/hooks';

/** The QR reader (jsQR, its own chunk): loaded when a camera is first started, not with the app. */
type Reader = typeof import('../logic/qr-scan.ts');
let reader: Reader | undefined;

type State = 'idle' | 'starting' | 'scanning' | 'read' | 'unavailable';

/**
 * "Scan with the camera": the camera's picture in the page, read frame by frame until a QR code
 * is found (then the camera stops and `onCode` gets its text). Where the browser has no camera
 * or no secure context (plain HTTP off loopback), it says so and the paste field beside it stays
 * the way in.
 */
export function Scanner({ label, onCode }: { label: string; onCode: (text: string) => void }) {
  const [state, setState] = useState<State>('idle');
  const [why, setWhy] = useState('');
  const video = useRef<HTMLVideoElement>(null);
  const stream = useRef<MediaStream | null>(null);
  const frame = useRef(0);
  const found = useRef(onCode);
  found.current = onCode;

  const stop = () => {
    cancelAnimationFrame(frame.current);
    for (const t of stream.current?.getTracks() ?? []) t.stop();
    stream.current = null;
  };
  useEffect(() => stop, []);

  const start = async () => {
    if (!navigator.mediaDevices?.getUserMedia) {
      setWhy(
        window.isSecureContext
          ? 'This browser has no camera access.'
          : 'The camera needs the page over HTTPS (or on this machine itself).',
      );
      return setState('unavailable');
    }
    setState('starting');
    try {
      reader ??= await import('../logic/qr-scan.ts');
    } catch {
      setWhy('The code reader could not be loaded from the node.');
      return setState('unavailable');
    }
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: 'environment' },
        audio: false,
      });
    } catch {
      setWhy('The camera could not be opened (no camera, or permission refused).');
      return setState('unavailable');
    }
    setState('scanning');
  };

  // Once the <video> is drawn, feed it the stream and read a frame per animation frame.
  useEffect(() => {
    const v = video.current;
    if (state !== 'scanning' || !v || !stream.current) return;
    v.srcObject = stream.current;
    void v.play().catch(() => {});
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const tick = () => {
      if (ctx && reader && v.readyState >= v.HAVE_CURRENT_DATA && v.videoWidth > 0) {
        const { decodeFrame, scanSquare } = reader;
        const sq = scanSquare(v.videoWidth, v.videoHeight);
        canvas.width = sq.size;
        canvas.height = sq.size;
        ctx.drawImage(v, sq.sx, sq.sy, sq.side, sq.side, 0, 0, sq.size, sq.size);
        const text = decodeFrame(ctx.getImageData(0, 0, sq.size, sq.size).data, sq.size, sq.size);
        if (text) {
          stop();
          setState('read');
          found.current(text);
          return;
        }
      }
      frame.current = requestAnimationFrame(tick);
    };
    frame.current = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame.current);
  }, [state]);

  return (
    <div class="scanner">
      {state === 'scanning' || state === 'starting' ? (
        <>
          <video ref={video} class="scan-view" muted playsInline aria-label={`${label}: camera picture`} />
          <p role="status">Hold the QR code in front of the camera…</p>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              stop();
              setState('idle');
            }}
          >
            Stop the camera
          </button>
        </>
      ) : (
        <button type="button" class="secondary" onClick={start}>
          {label}
        </button>
      )}
      {state === 'read' ? (
        <p class="ok" role="status">
          Code read from the camera: check it below.
        </p>
      ) : null}
      {state === 'unavailable' ? (
        <p class="hint" role="status">
          {why} Paste the code instead.
        </p>
      ) : null}
    </div>
  );
}
