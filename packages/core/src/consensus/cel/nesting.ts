/**
 * Bracket nesting of a CEL rule, counted on CEL's tokens (docs/CONSENSUS.md "Custom rules").
 *
 * The parser recurses once per ( [ { level and runs out of stack after a few hundred, at a depth
 * that depends on V8's warm-up; so the nesting is bounded before parsing, and must be counted
 * on the same tokens the parser sees, or a rule's validity would depend on the node's uptime.
 * The lexical rules are those of @bufbuild/cel's grammar:
 *   - `//` to the end of the line is a comment (spacing);
 *   - strings: ' " ''' """, optionally raw ([rR]: no escapes) and/or bytes ([bB], then [rR]?);
 *     in a non-raw string `\` takes the next character with it; a one-line string ends at
 *     its quote and may not hold a line break.
 * Where the text stops being lexable (an unterminated string or comment-less end), the parser
 * fails at or before that point without recursing further, so counting stops there too.
 */

const OPEN = new Set(['(', '[', '{']);
const CLOSE = new Set([')', ']', '}']);
/** Identifiers that, right before a quote, prefix a string instead (bytes then raw). */
const STRING_PREFIXES = new Set(['r', 'R', 'b', 'B', 'br', 'bR', 'Br', 'BR']);

const isIdentStart = (c: string) => /^[_a-zA-Z]$/.test(c);
const isIdent = (c: string) => /^[_a-zA-Z0-9]$/.test(c);
const isQuote = (c: string | undefined) => c === '"' || c === "'";
const isLineBreak = (c: string | undefined) => c === '\n' || c === '\r';

/** Deepest nesting of ( [ { outside strings and comments. */
export function bracketNesting(src: string): number {
  let depth = 0;
  let max = 0;
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '/' && src[i + 1] === '/') {
      const rest = src.slice(i).search(/[\r\n]/);
      // Without a line break the grammar has no comment here, only `/ /`: a syntax error.
      if (rest < 0) break;
      i += rest;
    } else if (isIdentStart(ch)) {
      let j = i + 1;
      while (j < src.length && isIdent(src[j]!)) j++;
      const word = src.slice(i, j);
      if (isQuote(src[j]) && STRING_PREFIXES.has(word)) {
        const end = stringEnd(src, j, /[rR]/.test(word));
        if (end < 0) break;
        i = end;
      } else i = j;
    } else if (isQuote(ch)) {
      const end = stringEnd(src, i, false);
      if (end < 0) break;
      i = end;
    } else {
      if (OPEN.has(ch)) max = Math.max(max, ++depth);
      else if (CLOSE.has(ch)) depth = Math.max(0, depth - 1);
      i++;
    }
  }
  return max;
}

/** Index just past the string literal whose opening quote is at `at`, or -1 if it is not one. */
function stringEnd(src: string, at: number, raw: boolean): number {
  const quote = src[at]!;
  const triple = quote.repeat(3);
  if (src.startsWith(triple, at)) {
    for (let i = at + 3; i < src.length; i++) {
      if (!raw && src[i] === '\\') i++;
      else if (src.startsWith(triple, i)) return i + 3;
    }
    // The grammar then reads `''` (empty) followed by a quote: a syntax error there.
    return -1;
  }
  for (let i = at + 1; i < src.length; i++) {
    const c = src[i]!;
    if (isLineBreak(c)) return -1;
    if (!raw && c === '\\') {
      if (isLineBreak(src[i + 1])) return -1;
      i++;
    } else if (c === quote) return i + 1;
  }
  return -1;
}
