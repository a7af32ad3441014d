import { isKithError } from '../../src/errors.ts';

/** The KithError code `f` throws, or undefined when it returns; any other throw propagates. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return undefined;
}
