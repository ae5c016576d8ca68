import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GatewayConfigSchema, SpaClientSchema } from '../../../shared/config/index.js';
import type { Grant } from '../../../shared/mapping/index.js';
import {
  isLoginBinding,
  isSpaState,
  loginBindingHash,
  newLoginBinding,
  parseSpaReturnTo,
  spaErrorUrl,
  spaGrantsOf,
  verifierMatches,
} from '../../../shared/spa/index.js';
import { toItems } from '../../../shared/store/index.js';

const client = SpaClientSchema.parse({
  id: 'app',
  origin: 'https://app.example.com',
  returnPaths: ['/', '/auth/callback'],
});

describe('parseSpaReturnTo', () => {
  it.each(['https://app.example.com/', 'https://app.example.com/auth/callback'])(
    'accepts %s exactly',
    (raw) => {
      expect(parseSpaReturnTo(client, raw).href).toBe(raw);
    },
  );

  it.each([
    undefined,
    '',
    '//evil.example/',
    '/\\evil.example/',
    '/auth/callback',
    'https://app.example.com@evil.example/',
    'https://user@app.example.com/',
    'https://app.example.com.evil.example/',
    'https://app.example.com:8443/',
    'http://app.example.com/',
    'javascript:alert(1)',
    'https://app.example.com/auth/callback?x=1',
    'https://app.example.com/auth/callback#x',
    'https://app.example.com/auth/callback/',
    'https://app.example.com/auth/../auth/callback',
    'https://app.example.com/auth/callback\r\nSet-Cookie: x=1',
    'https://app.example.com\\@evil.example/',
    'https://APP.example.com/',
    'https://аpp.example.com/',
    `https://app.example.com/${'a'.repeat(2100)}`,
  ])('refuses %j', (raw) => {
    expect(() => parseSpaReturnTo(client, raw)).toThrow(
      expect.objectContaining({ code: 'spa_return_to_invalid' }),
    );
  });
});

describe('the spaClients config section', () => {
  const base = {
    version: 1,
    idps: [
      {
        id: 'corp',
        displayName: 'Corp',
        protocol: 'oidc',
        oidc: { issuer: 'https://idp.example.com', clientId: 'x' },
      },
    ],
  };

  it.each([
    ['a path in the origin', 'https://app.example.com/x'],
    ['plain http off loopback', 'http://app.example.com'],
    ['a query', 'https://app.example.com?x'],
  ])('refuses %s', (_, origin) => {
    expect(SpaClientSchema.safeParse({ id: 'a', origin, returnPaths: ['/'] }).success).toBe(false);
  });

  it('accepts http on loopback; duplicate ids are refused', () => {
    const spa = { id: 'a', origin: 'http://127.0.0.1:8787', returnPaths: ['/'] };
    expect(GatewayConfigSchema.parse({ ...base, spaClients: [spa] }).spaClients[0]).toMatchObject({
      origin: 'http://127.0.0.1:8787',
      sessionMaxSeconds: 28_800,
    });
    expect(GatewayConfigSchema.safeParse({ ...base, spaClients: [spa, spa] }).success).toBe(false);
  });

  it('becomes GATEWAY / SPA#<id> items', () => {
    const config = GatewayConfigSchema.parse({
      ...base,
      spaClients: [{ id: 'a', origin: 'https://a.example.com', returnPaths: ['/'] }],
    });
    const item = toItems(config).find((i) => i.sk === 'SPA#a');
    expect(item).toMatchObject({ pk: 'GATEWAY', kind: 'spa-client' });
    expect(JSON.parse(String(item?.doc))).toMatchObject({ origin: 'https://a.example.com' });
  });
});

describe('verifierMatches', () => {
  it('is BASE64URL(SHA256(verifier)) (RFC 7636 §4.2)', () => {
    expect(
      verifierMatches(
        'dBjftJeZ4CVP-mJ92K9yjvMEt2jjE0Q2sYhsLmP2sUE',
        createHash('sha256')
          .update('dBjftJeZ4CVP-mJ92K9yjvMEt2jjE0Q2sYhsLmP2sUE')
          .digest('base64url'),
      ),
    ).toBe(true);
    expect(
      verifierMatches(
        'dBjftJeZ4CVP-mJ92K9yjvMEt2jjE0Q2sYhsLmP2sUF',
        createHash('sha256')
          .update('dBjftJeZ4CVP-mJ92K9yjvMEt2jjE0Q2sYhsLmP2sUE')
          .digest('base64url'),
      ),
    ).toBe(false);
  });
});

describe('spaGrantsOf (allowedRoles)', () => {
  const grant = (roleArn: string): Grant => ({
    id: roleArn.slice(-6),
    ruleId: 'r',
    roleArn,
    accountId: roleArn.split(':')[4] as string,
    label: 'l',
    durationSeconds: 3600,
    sessionName: 's',
    tags: [],
    transitiveTagKeys: [],
  });
  const admin = grant('arn:aws:iam::111111111111:role/admin');
  const dev = grant('arn:aws:iam::111111111111:role/dev');
  const prod = grant('arn:aws:iam::222222222222:role/dev');
  const withAllowed = (allowedRoles?: string[]) =>
    SpaClientSchema.parse({ ...client, ...(allowedRoles ? { allowedRoles } : {}) });

  it('without allowedRoles: every grant', () => {
    expect(spaGrantsOf(withAllowed(), [admin, dev, prod])).toEqual([admin, dev, prod]);
  });

  it('by role ARN and by account id, compared exactly', () => {
    expect(spaGrantsOf(withAllowed([dev.roleArn]), [admin, dev, prod])).toEqual([dev]);
    expect(spaGrantsOf(withAllowed(['222222222222']), [admin, dev, prod])).toEqual([prod]);
    // A near miss (case, a path) grants less, never more.
    expect(
      spaGrantsOf(withAllowed(['arn:aws:iam::111111111111:role/Dev']), [admin, dev, prod]),
    ).toEqual([]);
  });
});

describe('spaErrorUrl', () => {
  it('is the first return path by default, errorPath when set', () => {
    expect(spaErrorUrl(client).href).toBe('https://app.example.com/');
    expect(spaErrorUrl(SpaClientSchema.parse({ ...client, errorPath: '/failed' })).href).toBe(
      'https://app.example.com/failed',
    );
  });

  it('a path that looks like another host stays a path of the origin', () => {
    const url = spaErrorUrl(SpaClientSchema.parse({ ...client, errorPath: '//evil.example/x' }));
    expect(url.origin).toBe('https://app.example.com');
  });
});

describe('the SPA state and the login binding', () => {
  it.each([
    ['a 43-character random value', 'a'.repeat(43), true],
    ['22 unreserved characters', 'aZ0-._~aZ0-._~aZ0-._~a', true],
    ['21 characters', 'a'.repeat(21), false],
    ['129 characters', 'a'.repeat(129), false],
    ['a space', `${'a'.repeat(30)} b`, false],
    ['an ampersand', `${'a'.repeat(30)}&b=c`, false],
  ])('isSpaState: %s → %s', (_, value, ok) => {
    expect(isSpaState(value)).toBe(ok);
  });

  it('a fresh binding is a __Host- cookie whose hash alone is kept; only that cookie matches', () => {
    const { cookie, hash } = newLoginBinding();
    expect(cookie).toMatch(
      /^__Host-fedgate-spa-login=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/; Secure; HttpOnly; SameSite=None$/,
    );
    const value = /=([^;]+)/.exec(cookie)?.[1] as string;
    expect(hash).toBe(loginBindingHash(value));
    expect(hash).not.toContain(value);
    expect(isLoginBinding(value, hash)).toBe(true);
    expect(isLoginBinding(undefined, hash)).toBe(false);
    // Another last character (never the same one: the value is random).
    expect(isLoginBinding(`${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`, hash)).toBe(
      false,
    );
    expect(isLoginBinding(hash, hash)).toBe(false);
  });
});

describe('SPA client ids', () => {
  const base = { origin: 'https://app.example.com', returnPaths: ['/'] };
  it('fit the session cookie name and never take the login-binding cookie’s name', () => {
    expect(SpaClientSchema.safeParse({ ...base, id: 'a'.repeat(60) }).success).toBe(true);
    expect(SpaClientSchema.safeParse({ ...base, id: 'a'.repeat(61) }).success).toBe(false);
    expect(SpaClientSchema.safeParse({ ...base, id: 'login' }).success).toBe(false);
    expect(SpaClientSchema.safeParse({ ...base, id: 'login-app' }).success).toBe(true);
  });
});
