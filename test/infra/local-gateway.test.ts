import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfigFile } from '../../infra/config-file.js';
import { defaultPlugins } from '../../infra/local/default-plugins.js';
import { type LocalGateway, startLocalGateway } from '../../infra/local/gateway.js';

describe('local gateway (dynalite engine, demo config)', () => {
  let gateway: LocalGateway;
  beforeAll(async () => {
    gateway = await startLocalGateway({
      port: 0,
      configPath: 'infra/local/demo-config.yaml',
      engine: 'dynalite',
      plugins: defaultPlugins(),
    });
  });
  afterAll(() => gateway?.stop());

  it('serves the home page through the home function with security headers', async () => {
    const res = await fetch(gateway.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    const body = await res.text();
    for (const id of ['demo-okta', 'demo-entra', 'demo-oidc'])
      expect(body).toContain(`data-idp="${id}"`);
  });

  it('answers an unknown route or method as API Gateway does', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/'],
    ] as const) {
      const res = await fetch(new URL(path, gateway.url), { method });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ message: 'Not Found' });
    }
  });

  it('publishes the OIDC discovery document and the JWKS of the key that signs', async () => {
    const discovery = await (
      await fetch(new URL('/.well-known/openid-configuration', gateway.url))
    ).json();
    expect(discovery).toMatchObject({
      issuer: gateway.url.origin,
      jwks_uri: `${gateway.url.origin}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const res = await fetch(discovery.jwks_uri);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const jwks = (await res.json()) as {
      keys: { kid: string; kty: string; n: string; x5c: string[] }[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    // The same key signs the SAML metadata: one key, two publications.
    const metadata = await (await fetch(new URL('/aws/saml-metadata.xml', gateway.url))).text();
    expect(metadata).toContain(jwks.keys[0]?.x5c[0]);
  });

  it('says what runs where', () => {
    const summary = gateway.summary.join('\n');
    expect(summary).toContain(gateway.url.origin);
    expect(summary).toMatch(/DynamoDB\s+dynalite/);
    expect(summary).toContain('3 IdPs');
  });

  it('seeded the demo config with the generated demo IdP metadata', () => {
    const okta = gateway.config.idps.find((i) => i.id === 'demo-okta');
    expect(okta?.protocol === 'saml' && okta.saml.metadataXml).toContain('<ds:X509Certificate>MII');
    const oidc = gateway.config.idps.find((i) => i.id === 'demo-oidc');
    expect(oidc?.protocol === 'oidc' && oidc.oidc.issuer).toBe(`${gateway.url.origin}/_local/oidc`);
  });
});

describe('config file loader', () => {
  it('reports an unreadable metadataFile at its path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedgate-'));
    const file = join(dir, 'c.yaml');
    await writeFile(
      file,
      'version: 1\nidps:\n  - id: x\n    displayName: X\n    protocol: saml\n    saml: { metadataFile: missing.xml }\n',
    );
    await expect(loadGatewayConfigFile(file)).rejects.toMatchObject({
      name: 'ConfigError',
      issues: [
        { path: 'idps[0].saml.metadataFile', message: expect.stringContaining('not found') },
      ],
    });
  });

  it('substitutes only the variables it is given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedgate-'));
    const file = join(dir, 'c.json');
    const placeholder = (name: string) => `$\{${name}}`;
    const idp = {
      id: 'o',
      displayName: 'O',
      protocol: 'oidc',
      oidc: { issuer: `${placeholder('BASE')}/op`, clientId: placeholder('OTHER') },
    };
    await writeFile(file, JSON.stringify({ version: 1, idps: [idp] }));
    const cfg = await loadGatewayConfigFile(file, { BASE: 'https://op.example.com' });
    const oidc = cfg.idps[0]?.protocol === 'oidc' ? cfg.idps[0].oidc : undefined;
    expect(oidc).toMatchObject({
      issuer: 'https://op.example.com/op',
      clientId: placeholder('OTHER'),
    });
  });
});
