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

  it('passes on this repository', () => {
    expect(checkReferences(ROOT)).toEqual([]);
  });
});
