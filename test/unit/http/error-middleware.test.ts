import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  DependencyUnavailableError,
  errorMiddleware,
  GatewayError,
  type HttpResponse,
  json,
  MethodNotAllowedError,
  NotFoundError,
  type SupportContact,
  securityHeaders,
} from '../../../shared/http/index.js';
import type { Log } from '../../../shared/log.js';
import { OidcTenantNotAllowedError } from '../../../shared/oidc/index.js';
import { SamlGroupOverageError, SamlSignatureInvalidError } from '../../../shared/saml/index.js';
import { apiEvent, captureLogger, lambdaContext } from '../../support/events.js';

const chain = (
  format: 'html' | 'json',
  fn: () => Promise<HttpResponse>,
  log = captureLogger(),
  pageOptions: { support?: SupportContact; home?: URL } = {},
) =>
  middy<APIGatewayProxyEventV2, HttpResponse, Error, Context>()
    .use(securityHeaders())
    .use(errorMiddleware({ logger: log as unknown as Log, format, ...pageOptions }))
    .handler(fn);

const refuse = (err: Error) => async (): Promise<HttpResponse> => {
  throw err;
};

/** The href of the first link whose text is `text`, or undefined. */
const linkTo = (body: string, text: string) =>
  new RegExp(`<a [^>]*href="([^"]*)"[^>]*>${text}</a>`).exec(body)?.[1];

const SECURITY = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

describe('errorMiddleware', () => {
  it('turns a GatewayError into JSON { error, error_description } with its status, and logs the detail at warn', async () => {
    const log = captureLogger();
    const handler = chain(
      'json',
      async () => {
        throw new GatewayError(
          400,
          'saml_signature_invalid',
          'The sign-in response could not be verified.',
          {
            detail: 'digest mismatch on #_a1',
          },
        );
      },
      log,
    );
    const res = await handler(apiEvent(), lambdaContext());
    expect(res).toEqual({
      statusCode: 400,
      headers: expect.objectContaining({
        ...SECURITY,
        'content-type': 'application/json; charset=utf-8',
      }),
      body: JSON.stringify({
        error: 'saml_signature_invalid',
        error_description: 'The sign-in response could not be verified.',
      }),
    });
    expect(res.body).not.toContain('digest mismatch');
    expect(log.lines).toEqual([
      {
        level: 'warn',
        message: 'request refused',
        attrs: [{ code: 'saml_signature_invalid', status: 400, detail: 'digest mismatch on #_a1' }],
      },
    ]);
  });

  it('hides unknown errors behind a 500 server_error page, logging the stack at error', async () => {
    const log = captureLogger();
    const handler = chain(
      'html',
      async () => {
        throw new TypeError('secret internals at /var/task/index.js:1');
      },
      log,
    );
    const res = await handler(apiEvent(), lambdaContext());
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.body).toContain('<code>server_error</code>');
    expect(res.body).toContain('aws-req-1');
    expect(res.body).not.toContain('secret internals');
    expect(log.lines[0]).toMatchObject({ level: 'error', message: 'request failed' });
    expect(log.text()).toContain('secret internals');
  });

  it('shows a 503 with its code so the person knows to retry', async () => {
    const handler = chain('json', async () => {
      throw new DependencyUnavailableError('dynamodb', 'ThrottlingException');
    });
    const res = await handler(apiEvent(), lambdaContext());
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body as string)).toEqual({
      error: 'temporarily_unavailable',
      error_description: expect.stringContaining('try again'),
    });
  });

  it('does not expose a 5xx GatewayError', async () => {
    const handler = chain('json', async () => {
      throw new GatewayError(502, 'sts_assume_role_failed', 'no', { detail: 'AccessDenied' });
    });
    const res = await handler(apiEvent(), lambdaContext());
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body as string).error).toBe('server_error');
  });

  it('sets Allow on a 405', async () => {
    const handler = chain('json', async () => {
      throw new MethodNotAllowedError(['POST']);
    });
    const res = await handler(apiEvent(), lambdaContext());
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });
});

describe('error pages lead somewhere', () => {
  const support: SupportContact = { text: 'IT help desk', url: 'https://help.example.com/aws' };
  const home = new URL('https://sso.example.com/prod/');

  it('a refused SAML response: its description, what to do, a link to sign in again, the support contact and the request id', async () => {
    const res = await chain(
      'html',
      refuse(new SamlSignatureInvalidError('digest mismatch')),
      captureLogger(),
      {
        support,
        home,
      },
    )(apiEvent(), lambdaContext());
    expect(res.statusCode).toBe(400);
    const body = res.body as string;
    expect(body).toContain(
      'The sign-in response from your identity provider could not be verified.',
    );
    expect(body).toContain('Next steps');
    expect(linkTo(body, 'Sign in again')).toBe('https://sso.example.com/prod/');
    expect(linkTo(body, 'IT help desk')).toBe('https://help.example.com/aws');
    expect(body).toContain('<code>saml_signature_invalid</code>');
    expect(body).toContain('aws-req-1');
    expect(body).not.toContain('digest mismatch');
  });

  it('a tenant refusal offers another identity provider; the link is / without a configured home', async () => {
    const res = await chain('html', refuse(new OidcTenantNotAllowedError('tid 9188…')))(
      apiEvent(),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(403);
    expect(linkTo(res.body as string, 'Choose another identity provider')).toBe('/');
  });

  it('a refusal only an administrator can fix says to ask for help, with the contact and a way back', async () => {
    const res = await chain(
      'html',
      refuse(new SamlGroupOverageError('412 groups')),
      captureLogger(),
      {
        support,
      },
    )(apiEvent(), lambdaContext());
    const body = res.body as string;
    expect(body).toContain('Contact your help desk');
    expect(linkTo(body, 'IT help desk')).toBe('https://help.example.com/aws');
    expect(linkTo(body, 'Back to sign-in')).toBe('/');
  });

  it('a 503 says to retry later, and a 404 sends the person to the sign-in page', async () => {
    const unavailable = await chain(
      'html',
      refuse(new DependencyUnavailableError('dynamodb', 'ThrottlingException')),
    )(apiEvent(), lambdaContext());
    expect(unavailable.statusCode).toBe(503);
    expect(linkTo(unavailable.body as string, 'Start again')).toBe('/');
    expect(unavailable.body).toContain('<code>temporarily_unavailable</code>');
    const missing = await chain('html', refuse(new NotFoundError('GET /nope')))(
      apiEvent(),
      lambdaContext(),
    );
    expect(missing.statusCode).toBe(404);
    expect(linkTo(missing.body as string, 'Sign in again')).toBe('/');
  });

  it('an unknown error shows server_error with "contact", never the error', async () => {
    const res = await chain('html', refuse(new Error('boom at /var/task')), captureLogger(), {
      support,
    })(apiEvent(), lambdaContext());
    const body = res.body as string;
    expect(res.statusCode).toBe(500);
    expect(body).toContain('<code>server_error</code>');
    expect(linkTo(body, 'IT help desk')).toBe('https://help.example.com/aws');
    expect(body).not.toContain('boom');
  });

  it('escapes the support text and never links a javascript: URL', async () => {
    const res = await chain('html', refuse(new NotFoundError('x')), captureLogger(), {
      support: { text: '<img src=x onerror=alert(1)>', url: 'javascript:alert(1)' },
    })(apiEvent(), lambdaContext());
    const body = res.body as string;
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(body).not.toContain('<img');
    expect(body).not.toContain('javascript:');
  });

  it('keeps the JSON error format of API routes unchanged (no next step, no support in it)', async () => {
    const res = await chain('json', refuse(new OidcTenantNotAllowedError('tid')), captureLogger(), {
      support,
      home,
    })(apiEvent(), lambdaContext());
    expect(JSON.parse(res.body as string)).toEqual({
      error: 'oidc_tenant_not_allowed',
      error_description: 'Your organisation may not sign in here.',
    });
  });
});

describe('securityHeaders', () => {
  it('adds the headers to successful responses and keeps a chosen Cache-Control', async () => {
    const res = await chain('json', async () =>
      json(200, { ok: true }, { headers: { 'Cache-Control': 'public, max-age=300' } }),
    )(apiEvent(), lambdaContext());
    expect(res.headers).toMatchObject({
      'cache-control': 'public, max-age=300',
      'content-security-policy':
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      'x-frame-options': 'DENY',
    });
    expect(res.headers.pragma).toBeUndefined();
  });
});
