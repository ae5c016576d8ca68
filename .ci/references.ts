/**
 * The references check of CI (`npx tsx .ci/references.ts`): product code (functions/, shared/,
 * infra/) cites only documents the repository contains, numbered sections that exist in them, and
 * never an issue number — a comment must explain itself, or point at a document the next
 * engineer can open. Exit 1 with one line per finding.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Finding {
  file: string;
  line: number;
  message: string;
}

const PRODUCT = ['functions', 'shared', 'infra'];
const SOURCE = /\.(ts|mts|mjs|js)$/;
/** `issue #5`, `issues #3 and #4`, `(#12)`, `TODO(#31)`. */
const ISSUE = /\bissues?\s*#\d+|\(#\d+\)|TODO\(#\d+/i;
/** `SECURITY.md`, `shared/saml/README.md`, `../mapping/README.md`, with an optional `§N`. */
const DOC = /((?:\.{1,2}\/|[A-Za-z0-9_-]+\/)*[A-Za-z0-9_-]+\.md)(?:\s*§\s*(\d+))?/g;

/** The numbered top-level sections (`## N. …`) of a markdown document. */
const sectionsOf = (text: string): Set<string> =>
  new Set([...text.matchAll(/^## (\d+)\./gm)].map((m) => m[1] as string));

/**
 * Checks every product source file of the repository at `root`.
 * @returns the findings (none: the check passes).
 */
export const checkReferences = (root: string): Finding[] => {
  const files = execFileSync('git', ['ls-files', ...PRODUCT], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => SOURCE.test(f));
  const findings: Finding[] = [];
  const sections = new Map<string, Set<string>>();
  for (const file of files) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.forEach((text, i) => {
      const line = i + 1;
      if (ISSUE.test(text)) {
        findings.push({
          file,
          line,
          message: 'cites an issue number: explain it, or cite a document in the repository',
        });
      }
      for (const m of text.matchAll(DOC)) {
        const name = m[1] as string;
        // Relative to the file, else from the repository root (both spellings are used).
        const candidates = [normalize(join(dirname(path), name)), normalize(join(root, name))];
        const found = candidates.find((c) => existsSync(c) && !relative(root, c).startsWith('..'));
        if (!found) {
          findings.push({
            file,
            line,
            message: `cites ${name}, which the repository does not contain`,
          });
          continue;
        }
        const section = m[2];
        if (section === undefined) continue;
        let numbered = sections.get(found);
        if (!numbered) {
          numbered = sectionsOf(readFileSync(found, 'utf8'));
          sections.set(found, numbered);
        }
        if (!numbered.has(section)) {
          findings.push({
            file,
            line,
            message: `cites ${name} §${section}, which has no section ${section}`,
          });
        }
      }
    });
  }
  return findings;
};

const invokedDirectly = process.argv[1] === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const findings = checkReferences(root);
  for (const f of findings) console.error(`${f.file}:${f.line}: ${f.message}`);
  console.log(`references: ${findings.length === 0 ? 'ok' : `${findings.length} findings`}`);
  process.exitCode = findings.length === 0 ? 0 : 1;
}
