import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { buildErrorCatalogue, renderErrorCatalogue } from '../../infra/error-catalogue.js';
import { createHttpHandler, escapeHtml } from '../../shared/http/index.js';
import { OidcUpstreamInvalidError } from '../../shared/oidc/index.js';
import { apiEvent, lambdaContext } from '../support/events.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the error-code catalogue (shared/http/ERRORS.md)', () => {
  it('is what the code sends (run `npm run errors` after changing an error)', async () => {
    const written = readFileSync(join(ROOT, 'shared', 'http', 'ERRORS.md'), 'utf8');
    expect(written).toBe(renderErrorCatalogue(await buildErrorCatalogue(ROOT)));
  });

  it('prints the status sent, and the status an unexposed code is raised with', async () => {
    const entries = await buildErrorCatalogue(ROOT);
    const byCode = new Map(entries.map((e) => [e.code, e]));
    // Once documented as 502 and sent as 500: the catalogue prints what goes out, and says how
    // the class raises it.
    expect(byCode.get('oidc_discovery_invalid')).toMatchObject({
      status: 500,
      sentAs: 'server_error',
      raisedStatus: new OidcUpstreamInvalidError('oidc_discovery_invalid', 'x').status,
      exposed: false,
    });
    expect(byCode.get('temporarily_unavailable')).toMatchObject({ status: 503, exposed: true });
    expect(byCode.get('session_revoked')).toMatchObject({ status: 401, exposed: true });
    expect(entries.length).toBeGreaterThan(80);
    for (const e of entries) expect(e.person.length, e.code).toBeGreaterThan(10);
  });
});

/**
 * The wire, not the classes: every catalogued error thrown inside the handler every function uses
 * (shared/http/handler.ts), once as an API route (JSON) and once as a browser route (error page),
 * must come out with the status, code, description and next step the catalogue prints.
 */
describe('the error-code catalogue against the wire', () => {
  const silent = new Logger({ serviceName: 'catalogue-test', logLevel: 'SILENT' });
  const meter = { count: () => {}, milliseconds: () => {} };
  const send = (format: 'json' | 'html', err: Error) =>
    createHttpHandler({ logger: silent, meter, format }, async () => {
      throw err;
    })(apiEvent(), lambdaContext());

  it('sends each code with the catalogue’s status, code and description (JSON)', async () => {
    const entries = await buildErrorCatalogue(ROOT);
    for (const entry of entries) {
      const res = await send('json', entry.sample);
      expect(
        { status: res.statusCode, ...JSON.parse(String(res.body)) },
        `${entry.code} (${entry.raisedBy[0]})`,
      ).toEqual({
        status: entry.status,
        error: entry.sentAs,
        error_description: entry.description,
      });
    }
  });

  it('shows each code’s catalogued description and next step on the error page', async () => {
    const entries = await buildErrorCatalogue(ROOT);
    for (const entry of entries) {
      const res = await send('html', entry.sample);
      expect(res.statusCode, entry.code).toBe(entry.status);
      const body = String(res.body);
      expect(body, entry.code).toContain(`<code>${entry.sentAs}</code>`);
      expect(body, entry.code).toContain(escapeHtml(entry.description));
      expect(body, entry.code).toContain(escapeHtml(entry.person));
    }
  });
});

/**
 * The catalogue is the single source of statuses: a table in another document that pairs a code
 * with a status (`| \`code\` | 400 | …`) must give the status the wire carries, or the status it is
 * raised with when the cell also says it is shown as `server_error`.
 */
describe('the documents that list error codes', () => {
  it('agree with the catalogue on every code’s status', async () => {
    const byCode = new Map((await buildErrorCatalogue(ROOT)).map((e) => [e.code, e]));
    const docs = execFileSync('git', ['ls-files', '*.md'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f !== '' && f !== 'shared/http/ERRORS.md');
    const wrong: string[] = [];
    let checked = 0;
    for (const doc of docs) {
      readFileSync(join(ROOT, doc), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const cells = line.split('|').slice(1, -1);
          const status = /^\s*(\d{3})\b/.exec(cells[1] ?? '')?.[1];
          if (!status) return;
          for (const [, code] of (cells[0] ?? '').matchAll(/`([a-z0-9_]+)`/g)) {
            const entry = byCode.get(code as string);
            if (!entry) continue;
            checked += 1;
            const asRaised =
              Number(status) === entry.raisedStatus && (cells[1] ?? '').includes('server_error');
            if (Number(status) !== entry.status && !asRaised) {
              wrong.push(
                `${doc}:${i + 1}: ${code} ${status}, the wire sends ${entry.status}${entry.exposed ? '' : ' server_error'}`,
              );
            }
          }
        });
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(60);
  });
});
