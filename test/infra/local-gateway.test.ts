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
      issues: [{ path: 'idps[0].saml.metadataFile', message: expect.stringContaining('ENOENT') }],
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
