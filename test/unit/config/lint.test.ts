import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  GatewayConfigSchema,
  lintGatewayConfig,
  parseGatewayConfig,
} from '../../../shared/config/index.js';

const CERT = 'A'.repeat(80);
const saml = (over: Record<string, unknown> = {}) => ({
  id: 'okta',
  displayName: 'Okta',
  protocol: 'saml',
  saml: { entityId: 'http://www.okta.com/exk1', signingCertificates: [CERT] },
  subjectClaim: 'oktaUserId',
  ...over,
});
const allowOn = (when: unknown[]) => ({
  id: 'r',
  priority: 1,
  effect: 'allow',
  when,
  grant: { roleArn: 'arn:aws:iam::111122223333:role/R' },
});
const lint = (doc: Record<string, unknown>) =>
  lintGatewayConfig(parseGatewayConfig({ version: 1, ...doc }));
const parseGatewayConfigResult = (doc: Record<string, unknown>) => {
  const result = GatewayConfigSchema.safeParse({ version: 1, ...doc });
  return {
    success: result.success,
    issues: (result.error?.issues ?? []).map((i) => ({
      path: i.path.join('.'),
      message: i.message,
    })),
  };
};

describe('lintGatewayConfig', () => {
  it('warns on a condition keyed on email, also through an alias, naming the path', () => {
    const warnings = lint({
      idps: [
        saml({
          claimAliases: {
            mail: ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'],
          },
          rules: [
            allowOn([
              { claim: 'groups', op: 'contains', value: 'a' },
              { claim: 'email', op: 'matches', value: '.*@example\\.com' },
            ]),
            {
              ...allowOn([{ claim: 'mail', op: 'equals', value: 'x@example.com' }]),
              id: 'r2',
              priority: 2,
            },
          ],
        }),
      ],
    });
    expect(warnings.map((w) => w.path)).toEqual([
      'idps[0].rules[0].when[1].claim',
      'idps[0].rules[1].when[0].claim',
    ]);
    expect(warnings[0]?.message).toMatch(/allow rule "r" keys on "email"/);
  });

  it.each([
    'preferred_username',
    'upn',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
    'given_name',
  ])('warns on %s', (claim) => {
    expect(
      lint({ idps: [saml({ rules: [allowOn([{ claim, op: 'equals', value: 'x' }])] })] }),
    ).toHaveLength(1);
  });

  it('warns on a gateway deny that lets a missing claim through, and on a mutable subject claim', () => {
    const warnings = lint({
      gatewayRules: [
        {
          id: 'g',
          priority: 1,
          effect: 'deny',
          when: [
            {
              claim: 'employeeType',
              op: 'equals',
              value: 'contractor',
              quantifier: 'any',
              ifMissing: 'noMatch',
            },
          ],
        },
      ],
      idps: [saml({ subjectClaim: 'email' })],
    });
    expect(warnings.map((w) => w.path)).toEqual([
      'gatewayRules[0].when[0].ifMissing',
      'idps[0].subjectClaim',
    ]);
    expect(warnings[0]?.message).toMatch(/escapes the deny/);
  });

  it('warns on an Entra SAML IdP keyed on the NameID (the UPN)', () => {
    const entra = saml({
      id: 'entra',
      subjectClaim: undefined,
      saml: {
        entityId: 'https://sts.windows.net/t/',
        signingCertificates: [CERT],
        allowedTenants: ['t'],
      },
    });
    expect(lint({ idps: [entra] }).map((w) => w.path)).toEqual(['idps[0].subjectClaim']);
  });

  it('is quiet on groups, immutable ids and safe denies', () => {
    expect(
      lint({
        gatewayRules: [
          {
            id: 'g',
            priority: 1,
            effect: 'deny',
            when: [{ claim: 'employeeType', op: 'equals', value: 'contractor', quantifier: 'any' }],
          },
        ],
        idps: [saml({ rules: [allowOn([{ claim: 'groups', op: 'contains', value: 'a' }])] })],
      }),
    ).toEqual([]);
  });
});

describe('claims that identify a person, where they reach AWS', () => {
  const ENTRA_EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
  const entra = (rules: unknown[]) =>
    saml({
      id: 'entra',
      subjectClaim: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
      claimAliases: { email: [ENTRA_EMAIL] },
      saml: {
        entityId: 'https://sts.windows.net/t/',
        signingCertificates: [CERT],
        allowedTenants: ['t'],
      },
      rules,
    });
  const grantOf = (grant: Record<string, unknown>) => ({
    ...allowOn([{ claim: 'groups', op: 'equals', value: 'g', quantifier: 'any' }]),
    grant: { roleArn: 'arn:aws:iam::111122223333:role/R', ...grant },
  });

  it.each([
    ['the email alias', 'email'],
    ['the email claim URI', ENTRA_EMAIL],
    ['the UPN', 'upn'],
  ])('an Entra allow rule keyed on %s does not validate, and says what to grant on', (_, claim) => {
    const parsed = parseGatewayConfigResult({
      idps: [entra([allowOn([{ claim, op: 'equals', value: 'x@example.com' }])])],
    });
    expect(parsed.success).toBe(false);
    expect(parsed.issues).toContainEqual({
      path: 'idps.0.rules.0.when.0.claim',
      message: expect.stringMatching(/neither verifies nor keeps .*grant on a group/),
    });
  });

  it('an Entra deny keyed on email still validates (a deny cannot grant), with the warning', () => {
    const warnings = lint({
      idps: [
        entra([
          grantOf({}),
          {
            id: 'd',
            priority: 0,
            effect: 'deny',
            when: [{ claim: 'email', op: 'matches', value: '.*@ext\\.example', quantifier: 'any' }],
          },
        ]),
      ],
    });
    expect(warnings.map((w) => w.path)).toEqual(['idps[0].rules[1].when[0].claim']);
  });

  it('an allow rule on email outside Entra is a warning, as before', () => {
    expect(
      lint({
        idps: [
          saml({ rules: [allowOn([{ claim: 'email', op: 'equals', value: 'x@example.com' }])] }),
        ],
      }).map((w) => w.path),
    ).toEqual(['idps[0].rules[0].when[0].claim']);
  });

  it('warns on an Entra source identity or session name templated from email', () => {
    const warnings = lint({
      idps: [entra([grantOf({ sourceIdentity: '{claims.email}', sessionName: 'x-{claims.upn}' })])],
    });
    expect(warnings.map((w) => w.path)).toEqual([
      'idps[0].rules[0].grant.sourceIdentity',
      'idps[0].rules[0].grant.sessionName',
    ]);
    expect(warnings[0]?.message).toMatch(/does not verify .*leave sourceIdentity unset/);
  });

  it('warns when an Entra IdP falls back to a default session name templated from email', () => {
    const warnings = lint({
      defaults: { sessionName: '{claims.email}' },
      idps: [entra([grantOf({})]), saml({ rules: [grantOf({})] })],
    });
    expect(warnings.map((w) => w.path)).toEqual(['defaults.sessionName']);
    expect(warnings[0]?.message).toMatch(/IdP "entra" uses it/);
    expect(
      lint({
        defaults: { sessionName: '{claims.email}' },
        idps: [entra([grantOf({ sessionName: '{subject}' })])],
      }),
    ).toEqual([]);
  });

  it('is quiet on the same templates at Okta (verified email; the values are <idp>.-prefixed)', () => {
    expect(
      lint({
        idps: [
          saml({
            rules: [grantOf({ sourceIdentity: '{claims.email}', sessionName: '{claims.email}' })],
          }),
        ],
      }),
    ).toEqual([]);
  });

  it('warns on a tag templated from email or the subject claim without {subject}, at any IdP', () => {
    const warnings = lint({
      idps: [
        saml({
          rules: [
            grantOf({
              sessionTags: {
                owner: '{claims.email}',
                user: { value: 'u-{claims.oktaUserId}', multiValue: 'reject' },
                who: '{subject}',
                department: '{claims.department}',
              },
            }),
          ],
        }),
      ],
    });
    expect(warnings.map((w) => w.path)).toEqual([
      'idps[0].rules[0].grant.sessionTags.owner',
      'idps[0].rules[0].grant.sessionTags.user',
    ]);
    expect(warnings[0]?.message).toMatch(/not namespaced per IdP.*use \{subject\}/);
  });
});

describe('a directory nobody can provision', () => {
  it('warns when sign-in requires provisioned people and no SCIM client feeds the directory', () => {
    expect(lint({ idps: [saml({ directory: {} })] })).toEqual([
      {
        path: 'idps[0].directory.requireProvisioned',
        message: expect.stringContaining(
          'every sign-in is refused (directory_user_not_provisioned)',
        ),
      },
    ]);
  });

  it('is quiet with a SCIM client, or when provisioning is not required', () => {
    const scim = { tokenRef: 'env:SCIM_TOKEN' };
    expect(lint({ idps: [saml({ directory: { scim } })] })).toEqual([]);
    expect(lint({ idps: [saml({ directory: { requireProvisioned: false } })] })).toEqual([]);
  });
});

describe('the shipped configs draw no warning', () => {
  /** The file as written, with each SAML IdP's metadata file replaced by inline settings. */
  const shipped = (path: string) => {
    const doc = parse(
      readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8').replaceAll(
        `$\{LOCAL_BASE_URL}`,
        'http://127.0.0.1:8787',
      ),
    ) as { idps: { saml?: Record<string, unknown> }[] };
    for (const idp of doc.idps) {
      if (idp.saml?.metadataFile) {
        delete idp.saml.metadataFile;
        Object.assign(idp.saml, { entityId: 'https://idp.example', signingCertificates: [CERT] });
      }
    }
    return parseGatewayConfig(doc);
  };

  it.each(['infra/local/demo-config.yaml', 'infra/cdk/example/gateway-config.yaml'])(
    '%s',
    (path) => {
      expect(lintGatewayConfig(shipped(path))).toEqual([]);
    },
  );
});
