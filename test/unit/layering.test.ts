/**
 * The import edges of shared/, read from the source: the layers ARCHITECTURE.md §4 draws run one
 * way. The leaves at the bottom (AWS's value rules, zod, the SDK error reader, the XML module)
 * import nothing else of shared/; config/ sits on the leaves alone, so every domain may read the
 * configuration and the configuration never reaches back up into one of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every relative import and re-export of a shared/ file, static or dynamic, as shared/ paths. */
const importEdges = (): { from: string; to: string }[] => {
  const edges: { from: string; to: string }[] = [];
  const files = readdirSync('shared', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join('shared', f));
  for (const from of files) {
    const src = readFileSync(from, 'utf8');
    for (const m of src.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s*)'(\.{1,2}\/[^']+)'/gm)) {
      const to = normalize(join(dirname(from), m[1] as string)).replace(/\.js$/, '.ts');
      if (to.startsWith('shared/')) edges.push({ from, to });
    }
  }
  return edges;
};

/** The layer a shared/ file belongs to: its domain folder, or the file itself at the root. */
const unitOf = (file: string): string => {
  const [first, second] = relative('shared', file).split('/');
  return second === undefined ? `shared/${first}` : `shared/${first}/`;
};

/** The bottom layer: these import nothing of shared/ outside themselves. */
const LEAVES = new Set([
  'shared/aws-rules.ts',
  'shared/aws-sdk-errors.ts',
  'shared/zod.ts',
  'shared/xml/',
]);

const edges = importEdges();
const crossing = edges.filter((e) => unitOf(e.from) !== unitOf(e.to));
const show = (list: { from: string; to: string }[]) => list.map((e) => `${e.from} → ${e.to}`);

describe('shared/ import layering', () => {
  it('reads the edges it checks (the scanner finds known imports)', () => {
    expect(show(crossing)).toEqual(
      expect.arrayContaining([
        'shared/config/gateway-config.ts → shared/aws-rules.ts',
        'shared/mapping/types.ts → shared/config/index.ts',
        'shared/config/schema.ts → shared/zod.ts',
      ]),
    );
  });

  it('the leaves import nothing else of shared/', () => {
    expect(show(crossing.filter((e) => LEAVES.has(unitOf(e.from))))).toEqual([]);
  });

  it('config/ imports only the leaves (never a domain that depends on it)', () => {
    const upward = crossing.filter(
      (e) => unitOf(e.from) === 'shared/config/' && !LEAVES.has(unitOf(e.to)),
    );
    expect(show(upward)).toEqual([]);
  });

  it('aws-rules is imported by config/ and by the domains above it, not the reverse', () => {
    const importers = new Set(
      crossing.filter((e) => e.to === 'shared/aws-rules.ts').map((e) => unitOf(e.from)),
    );
    expect([...importers]).toEqual(expect.arrayContaining(['shared/config/', 'shared/mapping/']));
  });
});
