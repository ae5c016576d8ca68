import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildErrorCatalogue, renderErrorCatalogue } from '../../infra/error-catalogue.js';
import { OidcUpstreamInvalidError } from '../../shared/oidc/index.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the error-code catalogue (shared/http/ERRORS.md)', () => {
  it('is what the code sends (run `npm run errors` after changing an error)', async () => {
    const written = readFileSync(join(ROOT, 'shared', 'http', 'ERRORS.md'), 'utf8');
    expect(written).toBe(renderErrorCatalogue(await buildErrorCatalogue(ROOT)));
  });

  it('takes each status from the error a code is raised with', async () => {
    const entries = await buildErrorCatalogue(ROOT);
    const byCode = new Map(entries.map((e) => [e.code, e]));
    // Once documented as 502 in one place and sent as another: the catalogue reads the class.
    expect(byCode.get('oidc_discovery_invalid')?.status).toBe(
      new OidcUpstreamInvalidError('oidc_discovery_invalid', 'x').status,
    );
    expect(byCode.get('temporarily_unavailable')).toMatchObject({ status: 503, exposed: true });
    expect(byCode.get('session_revoked')).toMatchObject({ status: 401, exposed: true });
    expect(entries.length).toBeGreaterThan(80);
    for (const e of entries) expect(e.person.length, e.code).toBeGreaterThan(10);
  });
});
