/**
 * A `case: fold` pattern (every deny's) is matched case-insensitively by RE2 against the folded
 * value (shared/config/fold.ts). A character the pattern names that no folded value contains
 * would make the condition never hold — for a deny, a rule that silently lets everyone through,
 * even the person sending exactly the value it names. Validation refuses such characters,
 * written out or as `\x` escapes; everything it accepts matches its own folded value.
 */
import { describe, expect, it } from 'vitest';
import { checkPatternSyntax, DenyRuleSchema, foldValue } from '../../../shared/config/index.js';
import { allow, deny, identity, regex, run } from './fixtures.js';

const denyOn = (value: string) =>
  DenyRuleSchema.safeParse({
    id: 'd',
    priority: 0,
    effect: 'deny',
    when: [{ claim: 'city', op: 'matches', value, quantifier: 'any' }],
  });

describe('fold patterns that could never match are refused', () => {
  it.each([
    ['İ written out', 'İstanbul'],
    ['İ as \\x{130}', '\\x{130}stanbul'],
    ['İ as \\x{0130} inside a group', '(\\x{0130})stanbul'],
    ['a no-break space', 'new\u00a0york'],
    ['a no-break space as \\xA0', 'new\\xA0york'],
    ['a zero-width space as \\x{200B}', 'new\\x{200B}york'],
  ])('%s: the deny is refused, with the folded form to write', (_, value) => {
    const parsed = denyOn(value);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(
      /folded values, which never contain .* write the folded form$/,
    );
  });

  it('the folded form of İ (i + U+0307) validates and denies every spelling of the value', () => {
    const rules = [
      allow('r', 1, []),
      deny('d', 0, [
        { claim: 'city', op: 'matches', value: 'i\\x{307}stanbul', quantifier: 'any' },
      ]),
    ];
    for (const city of ['İstanbul', 'İSTANBUL', 'i\u0307stanbul']) {
      expect(run(rules, identity({ city: [city] })).denied).toBe(true);
    }
    expect(run(rules, identity({ city: ['istanbul'] })).denied).toBe(false);
  });

  it('escapes of ASCII and of characters that fold to themselves stay allowed', () => {
    expect(checkPatternSyntax('\\x41\\x{62}c', true)).toBeUndefined();
    expect(checkPatternSyntax('caf\\x{E9}', true)).toBeUndefined();
    expect(checkPatternSyntax('\\x{130}', false)).toBeUndefined();
  });
});

describe('every character a fold pattern may name matches its folded self', () => {
  // Planes 0 and 1 (every script with case), and plane 14's tag characters (default-ignorable).
  const RANGES: [number, number][] = [
    [0x20, 0x1ffff],
    [0xe0000, 0xe0fff],
  ];
  const META = /[\\^$.|?*+()[\]{}]/;

  it.each([
    ['written out', (ch: string) => (META.test(ch) ? `\\${ch}` : ch)],
    ['as a \\x{…} escape', (ch: string) => `\\x{${(ch.codePointAt(0) as number).toString(16)}}`],
  ])('%s', (_, spell) => {
    const dead: string[] = [];
    let accepted = 0;
    for (const [from, to] of RANGES) {
      for (let cp = from; cp <= to; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const ch = String.fromCodePoint(cp);
        const pattern = `!${spell(ch)}!`;
        if (checkPatternSyntax(pattern, true) !== undefined) continue;
        const compiled = regex.compile(pattern, true);
        if (typeof compiled === 'string') continue;
        accepted += 1;
        // The value as a person sends it, and re-cased: each folds to what the pattern meets.
        for (const sent of [`!${ch}!`, `!${ch.toUpperCase()}!`, `!${ch.toLowerCase()}!`]) {
          if (!compiled.fullMatch(foldValue(sent))) {
            dead.push(`U+${cp.toString(16).toUpperCase()} sent as ${JSON.stringify(sent)}`);
            break;
          }
        }
      }
    }
    expect(accepted).toBeGreaterThan(100_000);
    expect(dead).toEqual([]);
  });
});
