import { describe, expect, it } from 'vitest';
import { parseGatewayConfigText } from '../../../infra/config-file.js';
import { ConfigError, loadConfig, parseGatewayConfig } from '../../../shared/config/index.js';

const env = {
  ATTRIBUTE_TABLE_NAME: 'fedgate-attributes',
  STATE_TABLE_NAME: 'fedgate-state',
  PUBLIC_BASE_URL: 'https://sso.example.com/',
  AWS_REGION: 'eu-west-1',
  SIGNING_KEY_REF: 'kms:1234abcd-12ab-34cd-56ef-1234567890ab',
};

const minimal = {
  version: 1,
  idps: [
    {
      id: 'okta',
      displayName: 'Okta',
      protocol: 'saml',
      saml: { entityId: 'http://www.okta.com/exk1', signingCertificates: ['A'.repeat(80)] },
      rules: [
        {
          id: 'admins',
          priority: 10,
          effect: 'allow',
          when: [{ claim: 'groups', op: 'contains', value: 'aws-admins' }],
          grant: {
            roleArn: 'arn:aws:iam::111122223333:role/Admin',
            sessionTags: { team: '{claims.team}' } as Record<string, string>,
          },
        },
      ],
    },
  ],
};

const clone = <T>(v: T): T => structuredClone(v);
const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig (function environment)', () => {
  it('reads the environment into typed, frozen values with defaults', () => {
    const config = loadConfig(env);
    expect(config).toMatchObject({
      attributeTableName: 'fedgate-attributes',
      stateTableName: 'fedgate-state',
      region: 'eu-west-1',
      configCacheSeconds: 60,
      clockSkewSeconds: 60,
    });
    expect(config.publicBaseUrl.href).toBe('https://sso.example.com/');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every missing or invalid variable and never echoes a value', () => {
    const issues = issuesOf(() =>
      loadConfig({
        ...env,
        STATE_TABLE_NAME: undefined,
        PUBLIC_BASE_URL: 'http://sso.example.com',
        CLOCK_SKEW_SECONDS: '9999',
      }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      'CLOCK_SKEW_SECONDS',
      'PUBLIC_BASE_URL',
      'STATE_TABLE_NAME',
    ]);
    expect(JSON.stringify(issues)).not.toContain('sso.example.com');
  });

  it('allows plain http only on loopback', () => {
    expect(
      loadConfig({ ...env, PUBLIC_BASE_URL: 'http://127.0.0.1:8787' }).publicBaseUrl.origin,
    ).toBe('http://127.0.0.1:8787');
  });
});

describe('loadConfig: AWS sign-in endpoints and signing keys', () => {
  it('uses the global sign-in endpoints by default and regional ones when asked', () => {
    const global = loadConfig(env);
    expect([global.awsSigninSamlUrl.href, global.federationEndpoint.href]).toEqual([
      'https://signin.aws.amazon.com/saml',
      'https://signin.aws.amazon.com/federation',
    ]);
    const regional = loadConfig({ ...env, SIGNIN_REGION: 'eu-central-1' });
    expect([regional.awsSigninSamlUrl.href, regional.federationEndpoint.href]).toEqual([
      'https://eu-central-1.signin.aws.amazon.com/saml',
      'https://eu-central-1.signin.aws.amazon.com/federation',
    ]);
  });

  it('reads comma-separated signing key references, the first one signing', () => {
    const cfg = loadConfig({
      ...env,
      SIGNING_KEY_REF: 'kms:key-1,kms:arn:aws:kms:eu-west-1:111122223333:key/k2',
    });
    expect(cfg.signingKeyRefs).toEqual([
      'kms:key-1',
      'kms:arn:aws:kms:eu-west-1:111122223333:key/k2',
    ]);
    expect(cfg.samlProviderName).toBe('fedgate');
  });

  it.each([
    ['SIGNING_KEY_REF', { SIGNING_KEY_REF: `${'-'.repeat(5)}BEGIN PRIVATE KEY${'-'.repeat(5)}` }],
    ['FEDERATION_ENDPOINT', { FEDERATION_ENDPOINT: 'http://federation.example.com' }],
    ['SIGNIN_REGION', { SIGNIN_REGION: 'mars' }],
  ])('refuses an invalid %s', (name, over) => {
    expect(issuesOf(() => loadConfig({ ...env, ...over })).map((i) => i.path)).toEqual([name]);
  });
});

describe('parseGatewayConfig', () => {
  it('accepts a minimal config and fills defaults', () => {
    const cfg = parseGatewayConfig(minimal);
    expect(cfg.defaults).toEqual({ sessionDurationSeconds: 3600, sessionName: '{subject}' });
    const idp = cfg.idps[0];
    expect(idp?.protocol === 'saml' && idp.saml.allowUnsignedAssertion).toBe(false);
  });

  it.each([
    [
      'idps[0].rules[0].grant.roleArn',
      (c: typeof minimal) => {
        (c.idps[0]!.rules[0]!.grant as { roleArn: string }).roleArn = 'arn:aws:iam::1:role/x';
      },
    ],
    [
      'idps[0].rules[0].grant.roleArn',
      (c: typeof minimal) => {
        c.idps[0]!.rules[0]!.grant.roleArn =
          'arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_1';
      },
    ],
    [
      'idps[0].rules[0].when[0].op',
      (c: typeof minimal) => {
        (c.idps[0]!.rules[0]!.when[0] as { op: string }).op = 'like';
      },
    ],
    [
      'idps[0].id',
      (c: typeof minimal) => {
        c.idps[0]!.id = 'Bad Id';
      },
    ],
    [
      'idps[0].saml',
      (c: typeof minimal) => {
        c.idps[0]!.saml = {} as never;
      },
    ],
    [
      'idps[0].rules[0].grant.sessionTags.team',
      (c: typeof minimal) => {
        c.idps[0]!.rules[0]!.grant.sessionTags = { team: '{claim.team}' };
      },
    ],
    [
      'idps[0].rules[0].grant.sessionTags.Team',
      (c: typeof minimal) => {
        c.idps[0]!.rules[0]!.grant.sessionTags = { team: 'a', Team: 'b' };
      },
    ],
    [
      'idps[0].rules[0].grant.sessionTags["aws:x"]',
      (c: typeof minimal) => {
        c.idps[0]!.rules[0]!.grant.sessionTags = { 'aws:x': 'a' };
      },
    ],
    [
      'idps[0].rules[0].grant.sessionTags.team',
      (c: typeof minimal) => {
        c.idps[0]!.rules[0]!.grant.sessionTags = { team: 'a,b' };
      },
    ],
    [
      'idps[0].rules[0].grant.transitiveTagKeys[0]',
      (c: typeof minimal) => {
        (c.idps[0]!.rules[0]!.grant as Record<string, unknown>).transitiveTagKeys = ['nope'];
      },
    ],
    [
      'idps[0].rules[0].grant.sessionDurationSeconds',
      (c: typeof minimal) => {
        (c.idps[0]!.rules[0]!.grant as Record<string, unknown>).sessionDurationSeconds = 899;
      },
    ],
    [
      'idps[0].rules[0].grant.sessionDurationSeconds',
      (c: typeof minimal) => {
        (c.idps[0]!.rules[0]!.grant as Record<string, unknown>).sessionDurationSeconds = 43_201;
      },
    ],
    [
      'idps[0].rules[0].grant.sessionName',
      (c: typeof minimal) => {
        (c.idps[0]!.rules[0]!.grant as Record<string, unknown>).sessionName = 'a'.repeat(65);
      },
    ],
    [
      'idps[0].rules[0].grant.sourceIdentity',
      (c: typeof minimal) => {
        (c.idps[0]!.rules[0]!.grant as Record<string, unknown>).sourceIdentity = 'a b';
      },
    ],
    [
      'idps[0].rules[0].when[0].value',
      (c: typeof minimal) => {
        Object.assign(c.idps[0]!.rules[0]!.when[0]!, { op: 'matches', value: '(a)\\1' });
      },
    ],
    [
      'idps[0].rules[0].when[0].value',
      (c: typeof minimal) => {
        Object.assign(c.idps[0]!.rules[0]!.when[0]!, { op: 'matches', value: '(?<=x)y' });
      },
    ],
    [
      'idps[0].rules[0].when[0].value',
      (c: typeof minimal) => {
        Object.assign(c.idps[0]!.rules[0]!.when[0]!, {
          op: 'matches',
          value: 'a['.padEnd(10, 'b'),
        });
      },
    ],
    [
      'idps[0].rules[1].id',
      (c: typeof minimal) => {
        c.idps[0]!.rules.push(clone(c.idps[0]!.rules[0]!));
      },
    ],
    [
      'idps[0].rules[0].surprise',
      (c: typeof minimal) => {
        (c.idps[0]!.rules[0] as Record<string, unknown>).surprise = true;
      },
    ],
  ])('reports %s', (path, mutate) => {
    const cfg = clone(minimal);
    mutate(cfg);
    expect(issuesOf(() => parseGatewayConfig(cfg)).map((i) => i.path)).toContain(path);
  });

  it('accepts 50 session tags and refuses 51', () => {
    const cfg = clone(minimal);
    const tags = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    cfg.idps[0]!.rules[0]!.grant.sessionTags = tags(50);
    expect(() => parseGatewayConfig(cfg)).not.toThrow();
    cfg.idps[0]!.rules[0]!.grant.sessionTags = tags(51);
    expect(issuesOf(() => parseGatewayConfig(cfg)).map((i) => i.path)).toContain(
      'idps[0].rules[0].grant.sessionTags',
    );
  });

  it('reads YAML and JSON text, refusing duplicate keys', () => {
    expect(parseGatewayConfigText(JSON.stringify(minimal)).idps).toHaveLength(1);
    const yaml = 'version: 1\nversion: 1\nidps: []\n';
    expect(issuesOf(() => parseGatewayConfigText(yaml))[0]?.message).toMatch(/unique|duplicate/i);
  });
});
