/**
 * The pre-parse bracket count of custom rules sees CEL's tokens: brackets in comments and in
 * every kind of string (raw, bytes, triple-quoted) do not count, and none is hidden by a quote
 * in a comment or a raw string ending in a backslash. So whether a rule is refused as too deep
 * is a pure function of its text, not of how warm the parser's stack is.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bracketNesting } from '../../src/consensus/cel/nesting.ts';
import { CEL_LIMITS, compilePredicate } from '../../src/consensus/cel/predicate.ts';
import { isKithError } from '../../src/errors.ts';

const nest = (n: number, inner = 'true') => `${'('.repeat(n)}${inner}${')'.repeat(n)}`;

function outcome(src: string): string {
  try {
    compilePredicate(src);
    return 'accepted';
  } catch (e) {
    if (isKithError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
}

const TOO_DEEP = `CONSENSUS_CEL_TOO_DEEP: The custom rule is nested too deeply. Brackets nest more than ${CEL_LIMITS.maxNesting} levels.`;

const BYTES_REFUSED = /^CONSENSUS_CEL_FORBIDDEN: .*bytes/;

describe('bracket nesting on CEL tokens', () => {
  it('a quote in a comment hides no bracket: refused before parsing, not by the stack', () => {
    const src = `// '\n${nest(600)}`;
    expect(bracketNesting(src)).toBe(600);
    expect(outcome(src)).toBe(TOO_DEEP);
  });

  it('a raw string ending in a backslash hides no bracket', () => {
    const src = `r'\\' != '' || ${nest(40)}`;
    expect(bracketNesting(src)).toBe(40);
    expect(outcome(src)).toBe(TOO_DEEP);
    expect(outcome(`r'\\' != '' || ${nest(32)}`)).toBe('accepted');
  });

  it('brackets in comments, raw, bytes and triple-quoted strings do not count', () => {
    for (const src of [
      `// ${'('.repeat(40)}\ntrue`,
      `r'${'('.repeat(40)}' != ''`,
      `b'${'['.repeat(40)}' != b''`,
      `br"${'{'.repeat(40)}\\" != b''`,
      `'''${'('.repeat(40)}\n' ''' != ''`,
      `R"""${'('.repeat(40)}\\""" != ''`,
      `"\\"${'('.repeat(40)}" != ''`,
    ]) {
      expect(bracketNesting(src), src).toBe(0);
      // parsed and checked; bytes constants are refused later, for what they are
      expect(outcome(src), src).toMatch(/^b/i.test(src) ? BYTES_REFUSED : /^accepted$/);
    }
  });

  it('counting stops where the text stops being lexable (the parser fails there)', () => {
    // An unterminated string, a line break in a one-line string, a comment without a line end.
    expect(bracketNesting(`(( 'abc ${nest(50)}`)).toBe(2);
    expect(bracketNesting(`(( 'a\\\n' ${nest(50)}`)).toBe(2);
    expect(bracketNesting(`(( true // ${nest(50)}`)).toBe(2);
    expect(outcome(`'abc ${nest(50)}`)).toMatch(/^CONSENSUS_CEL_SYNTAX/);
  });

  it('matches a reference computed from the token list, for generated token sequences', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => {
        const src = tokens.map((t) => t.text).join(' ');
        expect(bracketNesting(src)).toBe(referenceNesting(tokens));
      }),
      { numRuns: 500 },
    );
  });

  it('a rule after any comment or string is refused iff its brackets nest deeper than the limit', () => {
    fc.assert(
      fc.property(preamble, fc.integer({ min: 0, max: 80 }), (pre, n) => {
        const verdict = outcome(`${pre.text}${nest(n)}`);
        if (n > CEL_LIMITS.maxNesting) expect(verdict).toBe(TOO_DEEP);
        else expect(verdict).toMatch(pre.bytes ? BYTES_REFUSED : /^accepted$/);
      }),
      { numRuns: 150 },
    );
  });
});

interface Token {
  kind: 'open' | 'close' | 'other';
  text: string;
}

/** The reference: only bracket tokens move the depth (never below zero). */
function referenceNesting(tokens: readonly Token[]): number {
  let depth = 0;
  let max = 0;
  for (const t of tokens) {
    if (t.kind === 'open') max = Math.max(max, ++depth);
    else if (t.kind === 'close') depth = Math.max(0, depth - 1);
  }
  return max;
}

/** Characters that would confuse a naive counter. */
const tricky = ['(', ')', '[', ']', '{', '}', "'", '"', '\\', '/', 'x', ' ', '\n'];
const chars = (exclude: readonly string[]) => fc.constantFrom(...tricky.filter((c) => !exclude.includes(c)));
const escapes = fc.constantFrom('\\\\', "\\'", '\\"', '\\n', '\\x41', '\\u00e9', '\\(', '\\/');

/** A CEL string or bytes literal with brackets, quotes, backslashes and comment marks inside. */
const stringLiteral: fc.Arbitrary<{ text: string; bytes: boolean }> = fc
  .record({
    bytes: fc.boolean(),
    raw: fc.boolean(),
    upper: fc.boolean(),
    quote: fc.constantFrom("'", '"'),
    triple: fc.boolean(),
  })
  .chain(({ bytes, raw, upper, quote, triple }) => {
    // one-line strings hold no line break; triple-quoted ones here hold no bare quote of theirs
    const plain = chars(triple ? [quote, '\\'] : [quote, '\\', '\n']);
    const rawPlain = chars(triple ? [quote] : [quote, '\n']);
    const piece = raw ? rawPlain : fc.oneof(plain, escapes);
    return fc.array(piece, { maxLength: 12 }).map((content) => {
      const delimiter = triple ? quote.repeat(3) : quote;
      const prefix = `${bytes ? (upper ? 'B' : 'b') : ''}${raw ? (upper ? 'R' : 'r') : ''}`;
      return { text: `${prefix}${delimiter}${content.join('')}${delimiter}`, bytes };
    });
  });

const comment = fc.array(chars(['\n']), { maxLength: 20 }).map((content) => `//${content.join('')}\n`);

const token: fc.Arbitrary<Token> = fc.oneof(
  fc.constantFrom<Token>(
    { kind: 'open', text: '(' },
    { kind: 'open', text: '[' },
    { kind: 'open', text: '{' },
    { kind: 'close', text: ')' },
    { kind: 'close', text: ']' },
    { kind: 'close', text: '}' },
  ),
  fc
    .constantFrom('r', 'b', 'br', 'rb', 'yes', 'x1', '==', '/', '+', '1', '2.5', ',', '?', ':', '.')
    .map((text): Token => ({ kind: 'other', text })),
  stringLiteral.map(({ text }): Token => ({ kind: 'other', text })),
  comment.map((text): Token => ({ kind: 'other', text })),
);

/** Valid CEL before a nested `true`: a comment, or a string compared with the empty one. */
const preamble = fc.oneof(
  comment.map((text) => ({ text, bytes: false })),
  stringLiteral.map(({ text, bytes }) => ({ text: `${text} != ${bytes ? "b''" : "''"} || `, bytes })),
);
