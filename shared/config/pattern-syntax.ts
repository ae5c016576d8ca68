import { foldValue } from './fold.js';

/** Longest pattern a `matches` condition may hold. */
export const MAX_PATTERN_LENGTH = 256;

/**
 * Inline flag groups (`(?i)`, `(?s:…)`, `(?-m)`): `case` is the one switch for case, and `(?s)`
 * / `(?m)` would give a pattern another meaning than the one the README documents.
 */
const FLAG_GROUP = /^\(\?[A-Za-z-]+[):]/;

/**
 * The syntax check a `matches` pattern gets when a config is validated, without loading the
 * regular-expression engine (the config schema runs at every function's cold start; the engine
 * is loaded only by the mappers that need it, see regex.ts). It refuses, with a message saying
 * what to write instead, what RE2 does not have or would read differently than JavaScript:
 * lookahead / lookbehind, backreferences, `\u` escapes (RE2 spells them `\x{…}`), `\C`, `\Z`,
 * and inline flag groups; and for `case: fold`, characters that folding rewrites (`ß`, `ſ`,
 * `ﬁ`, full-width letters…), which a pattern matched against folded values could never meet.
 * and unbalanced brackets and parentheses. Anything else that RE2 refuses (an unknown
 * `\p{…}` class, a program too large) is refused when the pattern is compiled with RE2: by the
 * config-file loader (`fedgate-admin validate`, `npm start`, `cdk synth`) and, failing closed,
 * by the mapper.
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
    if (fold && foldValue(ch) !== ch.toLowerCase() && ch.trim() !== '') {
      return `with case: fold the pattern is matched against folded values, which never contain ${JSON.stringify(ch)} (it folds to ${JSON.stringify(foldValue(ch))}): write the folded form`;
    }
  }
  if (inClass) return 'invalid regular expression: a [ is never closed';
  if (depth !== 0) {
    return `invalid regular expression: ${depth > 0 ? 'a ( is never closed' : 'a ) has no ('}`;
  }
  return undefined;
};
