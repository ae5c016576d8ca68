import { foldValue } from './fold.js';

/** Longest pattern a `matches` condition may hold. */
export const MAX_PATTERN_LENGTH = 256;

/**
 * Inline flag groups (`(?i)`, `(?s:…)`, `(?-m)`): `case` is the one switch for case, and `(?s)`
 * / `(?m)` would give a pattern another meaning than the one the README documents.
 */
const FLAG_GROUP = /^\(\?[A-Za-z-]+[):]/;

/**
 * Why a character a `case: fold` pattern names can never meet a folded value, or `undefined`.
 * The value is folded (shared/config/fold.ts) and RE2 matches case-insensitively with simple
 * case folding, one code point for one: a character is usable when, folded inside a value, it
 * stays one code point and that is its own lower case (so RE2 pairs the two). Folded between
 * `!`s so that trimming and NFKC composition with a neighbour do not decide.
 */
const foldProblem = (ch: string): string | undefined => {
  const inner = foldValue(`!${ch}!`).slice(1, -1);
  if ([...inner].length === 1 && inner === ch.toLowerCase()) return undefined;
  const cp = `U+${(ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
  return `with case: fold the pattern is matched against folded values, which never contain ${JSON.stringify(ch)} (${cp}; it folds to ${inner === '' ? 'nothing' : JSON.stringify(inner)}): write the folded form`;
};

/**
 * The syntax check a `matches` pattern gets when a config is validated, without loading the
 * regular-expression engine (the config schema runs at every function's cold start; the engine
 * is loaded only by the mappers that need it, see regex.ts). It refuses, with a message saying
 * what to write instead, what RE2 does not have or would read differently than JavaScript:
 * lookahead / lookbehind, backreferences, `\u` escapes (RE2 spells them `\x{…}`), `\C`, `\Z`,
 * inline flag groups, and unbalanced brackets and parentheses; and for `case: fold`, characters
 * (written out or as `\x` escapes) that a folded value never contains: those folding rewrites
 * (`ß`, `ſ`, `ﬁ`, full-width letters, no-break spaces, zero-width characters) and `İ`, which
 * folds to two code points (`i` + U+0307) that RE2's case-insensitive matching does not pair
 * with it — such a pattern would never match, not even the value it names. Anything else that
 * RE2 refuses (an unknown `\p{…}` class, a program too large) is refused when the pattern is
 * compiled with RE2: by the config-file loader (`fedgate-admin validate`, `npm start`,
 * `cdk synth`) and, failing closed, by the mapper.
 * @returns why the pattern is refused, or `undefined`.
 * @example checkPatternSyntax('(?=admin).*', false) // 'lookahead and lookbehind are not supported …'
 */
export const checkPatternSyntax = (pattern: string, fold: boolean): string | undefined => {
  if (pattern.length === 0) return 'the pattern is empty';
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `pattern longer than ${MAX_PATTERN_LENGTH} characters`;
  }
  const chars = [...pattern];
  let inClass = false;
  let depth = 0;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '\\') {
      const next = chars[i + 1] ?? '';
      if (fold && next === 'x') {
        const escaped = /^\\x(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{2}))/.exec(
          chars.slice(i, i + 10).join(''),
        );
        const hex = escaped?.[1] ?? escaped?.[2];
        const cp = hex === undefined ? undefined : Number.parseInt(hex, 16);
        if (cp !== undefined && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff)) {
          const why = foldProblem(String.fromCodePoint(cp));
          if (why) return why;
        }
      }
      if (/[1-9]/.test(next) || next === 'k') {
        return 'backreferences are not supported (RE2 matches in linear time and has none)';
      }
      if (next === 'u') return '\\u escapes are not supported: write \\x{hhhh}';
      if (next === 'C') return '\\C (any byte) is not supported';
      if (next === 'Z') return '\\Z is not supported (patterns always match the whole value)';
      i += 1;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') {
      inClass = true;
      // `[]…]` and `[^]…]`: a leading `]` is a literal.
      if (chars[i + 1] === '^') i += 1;
      if (chars[i + 1] === ']') i += 1;
    } else if (ch === ')') {
      depth -= 1;
      if (depth < 0) return 'invalid regular expression: a ) has no (';
    } else if (ch === '(') {
      depth += 1;
    }
    if (!inClass && ch === '(' && chars[i + 1] === '?') {
      const rest = chars.slice(i, i + 4).join('');
      if (/^\(\?<?[=!]/.test(rest)) {
        return 'lookahead and lookbehind are not supported (RE2 matches in linear time and has none)';
      }
      if (FLAG_GROUP.test(chars.slice(i, i + 12).join(''))) {
        return 'inline flags such as (?i) are not supported: set case: fold on the condition instead';
      }
    }
    if (fold) {
      const why = foldProblem(ch);
      if (why) return why;
    }
  }
  if (inClass) return 'invalid regular expression: a [ is never closed';
  if (depth !== 0) {
    return `invalid regular expression: ${depth > 0 ? 'a ( is never closed' : 'a ) has no ('}`;
  }
  return undefined;
};
