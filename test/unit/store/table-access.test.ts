import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every table access lives in shared/store (its ports and adapters), the SPA client lookup too. */
const root = join(import.meta.dirname, '../../../shared');

describe('table access', () => {
  it('no module of shared/ outside store/ imports the DynamoDB client or its commands', () => {
    const offenders = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.startsWith('store/'))
      .filter((f) =>
        /from '@aws-sdk\/(client-dynamodb|lib-dynamodb)'/.test(readFileSync(join(root, f), 'utf8')),
      )
      .map((f) => relative(root, join(root, f)));
    expect(offenders).toEqual([]);
  });
});
