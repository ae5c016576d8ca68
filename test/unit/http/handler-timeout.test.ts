import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { createHttpHandler, TIMEOUT_MARGIN_MS } from '../../../shared/http/index.js';
import { apiEvent, lambdaContext } from '../../support/events.js';

/**
 * An endpoint waiting on a dependency that never answers (a slow DynamoDB batch, a hung IdP): the
 * chain answers before Lambda's deadline with the outage code, not a 500 or a bare timeout.
 */
describe('createHttpHandler near the deadline', () => {
  const handlerFor = (format: 'json' | 'html') => {
    const logger = new Logger({ serviceName: 'timeout-test', logLevel: 'SILENT' });
    return createHttpHandler(
      { logger, meter: { count: () => {}, milliseconds: () => {} }, format },
      () => new Promise(() => {}),
    );
  };
  const nearDeadline = () => ({
    ...lambdaContext(),
    getRemainingTimeInMillis: () => TIMEOUT_MARGIN_MS + 50,
  });

  it('answers 503 temporarily_unavailable (JSON) when the endpoint is still running', async () => {
    const res = await handlerFor('json')(apiEvent(), nearDeadline());
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(String(res.body))).toMatchObject({ error: 'temporarily_unavailable' });
    expect(res.headers?.['cache-control']).toBe('no-store');
  });

  it('answers the 503 error page (HTML) when the endpoint is still running', async () => {
    const res = await handlerFor('html')(apiEvent(), nearDeadline());
    expect(res.statusCode).toBe(503);
    expect(String(res.body)).toContain('temporarily_unavailable');
  });
});
