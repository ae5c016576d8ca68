import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkReferences } from '../../.ci/references.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the references check (.ci/references.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fedgate-refs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds issue numbers, documents the repository lacks and sections they lack', () => {
    mkdirSync(join(dir, 'shared', 'x'), { recursive: true });
    writeFileSync(join(dir, 'SECURITY.md'), '# s\n\n## 1. One\n\n## 2. Two\n');
    writeFileSync(join(dir, 'shared', 'x', 'README.md'), '# x\n');
    writeFileSync(
      join(dir, 'shared', 'x', 'a.ts'),
      [
        '// fine: SECURITY.md §2, README.md in this folder, shared/x/README.md',
        '// issue #5 made us do it',
        '// see VERSIONS.md',
        '// SECURITY.md §9',
        '// TODO(#31): later',
        "const entity = '&#39;'; // not an issue",
      ].join('\n'),
    );
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['add', '.'], { cwd: dir });
    const findings = checkReferences(dir).map((f) => `${f.line}: ${f.message}`);
    expect(findings).toEqual([
      '2: cites an issue number: explain it, or cite a document in the repository',
      '3: cites VERSIONS.md, which the repository does not contain',
      '4: cites SECURITY.md §9, which has no section 9',
      '5: cites an issue number: explain it, or cite a document in the repository',
    ]);
  });

  it('checks documents and CI scripts: issue numbers, links that do not resolve, missing headings', () => {
    const docs = mkdtempSync(join(tmpdir(), 'fedgate-refs-docs-'));
    try {
      mkdirSync(join(docs, 'shared', 'a'), { recursive: true });
      mkdirSync(join(docs, 'shared', 'b'), { recursive: true });
      mkdirSync(join(docs, '.ci'), { recursive: true });
      mkdirSync(join(docs, 'test'), { recursive: true });
      writeFileSync(
        join(docs, 'shared', 'b', 'README.md'),
        '# B\n\n## Deploy, step by step\n\n## Client auth (`x.y` or `z`)\n\n## Deploy, step by step\n',
      );
      writeFileSync(
        join(docs, 'shared', 'a', 'README.md'),
        [
          '# A',
          'fine: [b](../b/README.md#deploy-step-by-step), [again](../b/README.md#deploy-step-by-step-1),',
          '[code](../b/README.md#client-auth-xy-or-z), [top](#a), [web](https://example.com/x.md#y)',
          'from the root, not from here: [b](shared/b/README.md)',
          'a heading that is not there: [b](../b/README.md#deploy)',
          'Part of issue #6 item 7.',
          '```',
          '[not a link in code](nowhere.md)',
          'const x = 1; // (#5)',
          '```',
          'As issue 12 asked.',
        ].join('\n'),
      );
      writeFileSync(join(docs, '.ci', 'check'), '#!/bin/sh\n# issue #6: see ci/NOPE.md\n');
      // Test files may name their issue (a regression test); product and CI files may not.
      writeFileSync(join(docs, 'test', 'issue-42.test.ts'), '// issue #42\n');
      execFileSync('git', ['init', '-q'], { cwd: docs });
      execFileSync('git', ['add', '.'], { cwd: docs });
      expect(checkReferences(docs).map((f) => `${f.file}:${f.line}: ${f.message}`)).toEqual([
        'shared/a/README.md:6: cites an issue number: explain it, or link a document in the repository',
        'shared/a/README.md:9: cites an issue number: explain it, or link a document in the repository',
        'shared/a/README.md:11: cites an issue number: explain it, or link a document in the repository',
        'shared/a/README.md:4: links shared/b/README.md: no such file from shared/a/',
        'shared/a/README.md:5: links ../b/README.md#deploy: no heading #deploy there',
        '.ci/check:2: cites an issue number: explain it, or cite a document in the repository',
        '.ci/check:2: cites ci/NOPE.md, which the repository does not contain',
      ]);
    } finally {
      rmSync(docs, { recursive: true, force: true });
    }
  });

  it('passes on this repository', () => {
    expect(checkReferences(ROOT)).toEqual([]);
  });
});
