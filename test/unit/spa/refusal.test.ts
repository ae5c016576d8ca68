import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import type { SpaClient } from '../../../shared/config/index.js';
import { NoRoleMatchedError } from '../../../shared/handback/index.js';
import {
  createHttpHandler,
  DependencyUnavailableError,
  GatewayError,
  GatewayMisconfiguredError,
  InvalidRequestError,
} from '../../../shared/http/index.js';
import { createSpaCompletion } from '../../../shared/spa/index.js';
import { apiEvent, captureLogger, lambdaContext } from '../../support/events.js';

/**
 * An SPA's refusal goes back to the SPA instead of through the error middleware: it must carry the
 * code the middleware would send and write the same log line (one implementation,
 * shared/http/error-middleware.ts).
 */

const client = {
  id: 'app',
  origin: 'https://app.example.com',
  returnPaths: ['/cb'],
  sessionMaxSeconds: 3600,
} as SpaClient;

const errors: [string, unknown][] = [
  ['an exposed 4xx', new InvalidRequestError('bad field')],
  ['a 403', new NoRoleMatchedError('no rule')],
  ['a dependency outage (503)', new DependencyUnavailableError('dynamodb', 'throttled')],
  ['an unexposed 502', new GatewayError(502, 'sts_access_denied', 'x', { detail: 'trust' })],
  ['a misconfiguration', new GatewayMisconfiguredError('no key')],
  ['an unknown error', new Error('boom')],
];

describe('an SPA refusal and the error middleware', () => {
  it.each(errors)('%s: the same code and the same log line', async (_name, err) => {
    const spaLog = captureLogger();
    const completion = createSpaCompletion({
      clients: { get: async () => client } as never,
      state: {} as never,
      mapperFor: async () => {
        throw new Error('unused');
      },
      log: spaLog,
    });
    const back = new URL(String(completion.refuse(client, 'spa-state', err).headers?.location));

    const middlewareLines: { level: string; message: string; attrs: unknown[] }[] = [];
    const logger = new Logger({ serviceName: 'spa-refusal-test', logLevel: 'SILENT' });
    for (const level of ['warn', 'error'] as const) {
      logger[level] = ((message: string, ...attrs: unknown[]) => {
        middlewareLines.push({ level, message, attrs });
      }) as never;
    }
    const res = await createHttpHandler(
      { logger, meter: { count: () => {}, milliseconds: () => {} }, format: 'json' },
      async () => {
        throw err;
      },
    )(apiEvent(), lambdaContext());

    expect(back.searchParams.get('error')).toBe(JSON.parse(String(res.body)).error);
    expect(back.searchParams.get('state')).toBe('spa-state');
    expect(spaLog.lines).toEqual([
      {
        ...middlewareLines[0],
        attrs: [{ ...(middlewareLines[0]?.attrs[0] as object), returnedTo: 'spa' }],
      },
    ]);
  });
});
