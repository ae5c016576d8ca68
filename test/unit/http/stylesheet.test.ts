import { describe, expect, it } from 'vitest';
import { html, renderPage } from '../../../shared/http/index.js';

/**
 * WCAG 2.1 AA contrast of the one stylesheet, computed from its own custom properties in light
 * and dark mode: text 4.5:1 (1.4.3), controls and the focus ring 3:1 (1.4.11). The browser test
 * (test/e2e/portal-pages.e2e.ts) runs axe on the rendered pages as well; this one names the pair.
 */
const css = (() => {
  const { body } = renderPage({ title: 't', content: html`` });
  return /<style>([\s\S]*?)<\/style>/.exec(body)?.[1] ?? '';
})();

/** `#fff` → `#ffffff`. */
const fullHex = (hex: string) =>
  hex.length === 4 ? `#${[...hex.slice(1)].map((x) => x + x).join('')}` : hex;

const varsOf = (block: string): Record<string, string> =>
  Object.fromEntries(
    [...block.matchAll(/--([a-z-]+):(#[0-9a-f]{6}|#[0-9a-f]{3})\b/gi)].map((m) => [
      m[1],
      fullHex(m[2] as string),
    ]),
  );

const light = varsOf(/:root\{([^}]*)\}/.exec(css)?.[1] ?? '');
const dark = {
  ...light,
  ...varsOf(/prefers-color-scheme:dark\)\{:root\{([^}]*)\}/.exec(css)?.[1] ?? ''),
};

const luminance = (hex: string) => {
  const [r, g, b] = [1, 3, 5]
    .map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [
    number,
    number,
    number,
  ];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
};

/** The colour a declaration in the rule for `selector` uses, as `var(--x)` or a literal. */
const ruleColour = (selector: string, property: string, vars: Record<string, string>) => {
  const rule = new RegExp(
    `(?:^|\\})${selector.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\{([^}]*)\\}`,
    'm',
  ).exec(css);
  const value = new RegExp(`(?:^|;)${property}:([^;]+)`).exec(rule?.[1] ?? '')?.[1]?.trim();
  const v = /^var\(--([a-z-]+)\)$/.exec(value ?? '');
  return v ? vars[v[1] as string] : value && fullHex(value);
};

describe.each([
  ['light', light],
  ['dark', dark],
])('stylesheet contrast (%s)', (_mode, vars) => {
  const c = (name: string) => {
    const hex = vars[name];
    expect(hex, `--${name}`).toMatch(/^#[0-9a-f]{6}$/i);
    return hex as string;
  };

  it.each([
    ['fg', 'bg'],
    ['fg', 'card'],
    ['fg', 'note'],
    ['muted', 'bg'],
    ['muted', 'card'],
    ['accent', 'bg'],
    ['accent', 'card'],
    ['accent', 'note'],
    ['bad', 'card'],
  ])('text --%s on --%s is at least 4.5:1', (fg, bg) => {
    expect(contrast(c(fg), c(bg))).toBeGreaterThanOrEqual(4.5);
  });

  it('button text on the button background is at least 4.5:1', () => {
    const fg = ruleColour('a.button,button', 'color', vars);
    const bg = ruleColour('a.button,button', 'background', vars);
    expect(fg).toMatch(/^#[0-9a-f]{6}$/i);
    expect(bg).toMatch(/^#[0-9a-f]{6}$/i);
    expect(contrast(fg as string, bg as string)).toBeGreaterThanOrEqual(4.5);
  });

  it.each([
    ['control', 'card'],
    ['control', 'bg'],
    ['accent', 'card'],
    ['accent', 'bg'],
  ])('control border / focus ring --%s on --%s is at least 3:1', (fg, bg) => {
    expect(contrast(c(fg), c(bg))).toBeGreaterThanOrEqual(3);
  });
});
