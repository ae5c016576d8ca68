/**
 * The references check of CI (`npx tsx .ci/references.ts`): what the repository says points only
 * at what the repository contains, so a newcomer can follow every pointer.
 *
 * - Product code (functions/, shared/, infra/), the CI scripts (.ci/) and every document (`*.md`
 *   anywhere) never cite an issue number: a comment or a page must explain itself, or point at a
 *   document the next engineer can open. (Test files may: a regression test is named for its
 *   issue, test/README.md.)
 * - Product code and the CI scripts cite only documents the repository contains, and numbered
 *   sections (`SECURITY.md §2`) that exist in them.
 * - Every relative link of a document (`[text](path#anchor)`) resolves from the document's own
 *   folder, as GitHub resolves it, to a file that exists, and its anchor to a heading of it.
 *
 * Exit 1 with one line per finding.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Finding {
  file: string;
  line: number;
  message: string;
}

const PRODUCT = ['functions', 'shared', 'infra'];
const SOURCE = /\.(ts|mts|mjs|js)$/;
/** Code whose comments are checked: product sources, and every CI script. */
const isCheckedCode = (file: string) =>
  (file.startsWith('.ci/') && !file.endsWith('.md')) ||
  (PRODUCT.includes(file.split('/')[0] as string) && SOURCE.test(file));
/** "issue", a hash and a number; several issues; a number alone in parentheses; a TODO with one. */
const ISSUE = /\bissues?\s*#?\d+\b|\(#\d+\)|TODO\(#\d+/i;
/**
 * A document named in code: a file name ending in the markdown extension, with an optional path
 * (relative, from the root, or in a dot folder such as the CI scripts') and section number.
 */
const DOC = /((?:\.{1,2}\/|\.?[A-Za-z0-9_-]+\/)*[A-Za-z0-9_-]+\.md)(?:\s*§\s*(\d+))?/g;

/** The numbered top-level sections (`## N. …`) of a markdown document. */
const sectionsOf = (text: string): Set<string> =>
  new Set([...text.matchAll(/^## (\d+)\./gm)].map((m) => m[1] as string));

/** A markdown document's lines outside fenced code blocks, with their 1-based numbers. */
const proseLines = (text: string): Array<[number, string]> => {
  const out: Array<[number, string]> = [];
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) out.push([i + 1, line]);
  });
  return out;
};

/**
 * The anchors GitHub gives a markdown document's headings (lower case; punctuation other than
 * `-` and `_` dropped; spaces to `-`; a repeated heading gets `-1`, `-2`…), and explicit
 * `<a id|name="…">` anchors.
 */
export const anchorsOf = (text: string): Set<string> => {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, line] of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const slug = heading
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-');
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1] as string);
  }
  return anchors;
};

/** `[text](target)` links of a line (not images' own targets' titles; no URLs with spaces). */
const LINK = /\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;

/**
 * Checks every product source file of the repository at `root`.
 * @returns the findings (none: the check passes).
 */
export const checkReferences = (root: string): Finding[] => {
  const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && existsSync(join(root, f)));
  const findings: Finding[] = [];
  const sections = new Map<string, Set<string>>();
  const anchors = new Map<string, Set<string>>();

  for (const file of tracked.filter((f) => f.endsWith('.md'))) {
    const path = join(root, file);
    const text = readFileSync(path, 'utf8');
    // Issue numbers anywhere, code examples included; links only in prose.
    text.split('\n').forEach((line, i) => {
      if (ISSUE.test(line)) {
        findings.push({
          file,
          line: i + 1,
          message: 'cites an issue number: explain it, or link a document in the repository',
        });
      }
    });
    for (const [line, prose] of proseLines(text)) {
      for (const m of prose.matchAll(LINK)) {
        const link = m[1] as string;
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:, …
        const [target = '', anchor] = link.split('#', 2);
        const found = target === '' ? path : normalize(join(dirname(path), target));
        if (relative(root, found).startsWith('..') || !existsSync(found)) {
          findings.push({
            file,
            line,
            message: `links ${link}: no such file from ${dirname(file)}/`,
          });
          continue;
        }
        if (anchor === undefined || !found.endsWith('.md') || statSync(found).isDirectory())
          continue;
        let known = anchors.get(found);
        if (!known) {
          known = anchorsOf(readFileSync(found, 'utf8'));
          anchors.set(found, known);
        }
        if (!known.has(anchor)) {
          findings.push({ file, line, message: `links ${link}: no heading #${anchor} there` });
        }
      }
    }
  }

  for (const file of tracked.filter(isCheckedCode)) {
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
