import { KithError } from '@kith/core/errors';
import { type AnyMessage, type MessageOf, decodeMessage } from '@kith/core/wire/message';
import type { Link } from '../link/link.ts';

/** The next message on a link, decoded with one of `defs`; rejects on close or timeout. */
export function nextMessage<const Ms extends readonly AnyMessage[]>(
  link: Link,
  defs: Ms,
  timeoutMs: number,
): Promise<MessageOf<Ms[number]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new KithError('PAIRING_FAILED', 'The other side did not answer in time.')),
      timeoutMs,
    );
    const onMessage = (bytes: Uint8Array) => {
      try {
        finish(undefined, decodeMessage(bytes, defs));
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      }
    };
    const onClose = () => finish(new KithError('PAIRING_FAILED', 'The other side closed the connection.'));
    function finish(err?: Error, value?: MessageOf<Ms[number]>) {
      clearTimeout(timer);
      link.off('message', onMessage);
      link.off('close', onClose);
      if (err) reject(err);
      else resolve(value!);
    }
    link.on('message', onMessage);
    link.once('close', onClose);
  });
}
