import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  clearCookie,
  escapeHtml,
  html,
  page,
  parseForm,
  publicUrl,
  queryParam,
  readBody,
  readCookie,
  redirect,
  requireMethod,
  serializeCookie,
} from '../../../shared/http/index.js';
import { apiEvent } from '../../support/events.js';

describe('html', () => {
  it('escapes every interpolation, including attribute breakers', () => {
    const evil = `"><script>alert(1)</script><a href='x'>\``;
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&#39;x&#39;&gt;&#96;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&#39;x&#39;&gt;&#96;</p>',
    );
    expect(escapeHtml('a&b')).toBe('a&amp;b');
  });

  it('nests safe fragments and arrays without double escaping', () => {
    const items = ['<1>', '2'].map((v) => html`<li>${v}</li>`);
    expect(html`<ul>${items}${null}${undefined}${false}</ul>`.value).toBe(
      '<ul><li>&lt;1&gt;</li><li>2</li></ul>',
    );
  });
});

describe('page', () => {
  it('allows exactly its stylesheet and scripts by hash, and cannot be framed', () => {
    const script = 'document.forms[0].submit();';
    const res = page(200, {
      title: 'T',
      content: html`<p>x</p>`,
      scripts: [script],
      formActions: ['https://idp.example.com'],
    });
    const csp = res.headers['content-security-policy'] as string;
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.body as string)?.[1] as string;
    const sha = (s: string) => createHash('sha256').update(s).digest('base64');
    expect(csp).toContain(`style-src 'sha256-${sha(style)}'`);
    expect(csp).toContain(`script-src 'sha256-${sha(script)}'`);
    expect(csp).toContain("form-action 'self' https://idp.example.com");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });
});

describe('cookies', () => {
  it('serializes __Host- cookies with Secure, HttpOnly, Path=/ and the chosen SameSite', () => {
    expect(serializeCookie('txn', 'abc', { maxAgeSeconds: 600, sameSite: 'Lax' })).toBe(
      '__Host-fedgate-txn=abc; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=Lax',
    );
    expect(clearCookie('txn')).toContain('Max-Age=0');
    expect(() => serializeCookie('txn', 'a;b', { maxAgeSeconds: 1, sameSite: 'Strict' })).toThrow(
      TypeError,
    );
    expect(() => serializeCookie('t x', 'a', { maxAgeSeconds: 1, sameSite: 'Strict' })).toThrow(
      TypeError,
    );
  });

  it('reads only the __Host- cookie, and treats a duplicate as absent', () => {
    expect(readCookie(['a=1', '__Host-fedgate-txn=v1'], 'txn')).toBe('v1');
    expect(readCookie(['fedgate-txn=evil'], 'txn')).toBeUndefined();
    expect(readCookie(['__Host-fedgate-txn=v1', '__Host-fedgate-txn=v2'], 'txn')).toBeUndefined();
    expect(readCookie(undefined, 'txn')).toBeUndefined();
  });
});

describe('request parsing', () => {
  const form = (body: string, type = 'application/x-www-form-urlencoded', base64 = true) =>
    apiEvent({
      method: 'POST',
      headers: { 'content-type': type },
      body: base64 ? Buffer.from(body).toString('base64') : body,
      isBase64Encoded: base64,
    });

  it('parses a base64 form body into single-valued fields', () => {
    expect(Object.fromEntries(parseForm(form('SAMLResponse=abc%2B&RelayState=x'), 1024))).toEqual({
      SAMLResponse: 'abc+',
      RelayState: 'x',
    });
  });

  it.each([
    ['a duplicated field', form('a=1&a=2')],
    ['another media type', form('{}', 'application/json', false)],
    ['an oversize body', form('a='.padEnd(2000, 'x'))],
    [
      'invalid base64',
      apiEvent({
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '!!!',
        isBase64Encoded: true,
      }),
    ],
  ])('refuses %s with invalid_request', (_, event) => {
    expect(() => parseForm(event, 1024)).toThrow(
      expect.objectContaining({ code: 'invalid_request', status: 400 }),
    );
  });

  it('caps a plain body too', () => {
    expect(() => readBody(apiEvent({ body: 'x'.repeat(11) }), 10)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });

  it('refuses a repeated query parameter and a wrong method', () => {
    expect(queryParam(apiEvent({ rawQueryString: 'return_to=%2Fa' }), 'return_to')).toBe('/a');
    expect(() => queryParam(apiEvent({ rawQueryString: 'r=1&r=2' }), 'r')).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(() => requireMethod(apiEvent({ method: 'PUT' }), 'GET')).toThrow(
      expect.objectContaining({ code: 'method_not_allowed', status: 405 }),
    );
  });
});

describe('urls', () => {
  it('builds URLs under the public base URL, keeping its path prefix', () => {
    expect(publicUrl(new URL('https://sso.example.com/prod/'), '/saml/okta/acs').href).toBe(
      'https://sso.example.com/prod/saml/okta/acs',
    );
    expect(redirect(publicUrl(new URL('https://sso.example.com'), 'x')).headers.location).toBe(
      'https://sso.example.com/x',
    );
  });
});
