import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { createScimAuthenticator, createScimThrottle } from '../../../shared/scim/index.js';

const TOKEN = 'a-long-random-token-of-at-least-32-characters';
const config = parseGatewayConfig({
  version: 1,
  idps: [
    {
      id: 'okta',
      displayName: 'Okta',
      protocol: 'oidc',
      oidc: { issuer: 'https://idp.example', clientId: 'c' },
      directory: { scim: { tokenRef: 'env:OKTA' } },
    },
    {
      id: 'weak',
      displayName: 'Weak',
      protocol: 'oidc',
      oidc: { issuer: 'https://idp.example', clientId: 'c' },
      directory: { scim: { tokenRef: 'env:WEAK' } },
    },
  ],
});
const [okta, weak] = config.idps;
const resolved: string[] = [];
const authenticate = createScimAuthenticator(async (ref) => {
  resolved.push(ref);
  return ref === 'env:OKTA' ? TOKEN : 'short';
});

describe('the SCIM bearer token', () => {
  it('opens the IdP whose token it is (scheme case-insensitive)', async () => {
    await expect(authenticate(okta, `Bearer ${TOKEN}`)).resolves.toBe(okta);
    await expect(authenticate(okta, `bearer ${TOKEN}`)).resolves.toBe(okta);
  });

  it.each([
    ['no header', undefined],
    ['another scheme', `Basic ${TOKEN}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 20)}`],
    ['the token and more', `Bearer ${TOKEN}x`],
    ['two spaces', `Bearer  ${TOKEN}`],
    ['an oversized token', `Bearer ${'x'.repeat(5000)}`],
  ])('refuses %s with scim_unauthorized', async (_what, header) => {
    await expect(authenticate(okta, header)).rejects.toMatchObject({
      code: 'scim_unauthorized',
      status: 401,
    });
  });

  it('answers an unknown IdP without resolving any secret', async () => {
    resolved.length = 0;
    await expect(authenticate(undefined, `Bearer ${TOKEN}`)).rejects.toMatchObject({
      code: 'scim_unauthorized',
    });
    expect(resolved).toEqual([]);
  });

  it('fails closed on a configured token shorter than 32 characters, even when presented', async () => {
    await expect(authenticate(weak, 'Bearer short')).rejects.toMatchObject({
      code: 'server_error',
      status: 500,
    });
  });
});

describe('the per-IdP throttle', () => {
  it('allows a burst of twice the rate, then one per 1/rate seconds, per IdP', () => {
    let now = 0;
    const take = createScimThrottle(() => now);
    for (let i = 0; i < 4; i++) take('okta', 2);
    expect(() => take('okta', 2)).toThrow(
      expect.objectContaining({ code: 'scim_throttled', status: 429 }),
    );
    take('entra', 2);
    now += 500;
    take('okta', 2);
    expect(() => take('okta', 2)).toThrow(expect.objectContaining({ code: 'scim_throttled' }));
  });
});
