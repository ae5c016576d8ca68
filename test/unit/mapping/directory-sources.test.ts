import { describe, expect, it } from 'vitest';
import { AllowRuleSchema, DenyRuleSchema, type Rule } from '../../../shared/config/index.js';
import {
  applyDirectory,
  type DirectoryFacts,
  explain,
  type Identity,
  mapGrants,
} from '../../../shared/mapping/index.js';

const defaults = { sessionDurationSeconds: 3600, sessionName: '{subject}' };
const ADMIN = 'arn:aws:iam::111122223333:role/Admin';
const READ = 'arn:aws:iam::111122223333:role/Read';

const token = (claims: Record<string, string[]>, extra: Partial<Identity> = {}): Identity => ({
  idp: 'entra',
  issuer: 'https://sts.windows.net/t/',
  subject: 'oid-1',
  claims,
  ...extra,
});
const facts = (values: Record<string, string[]>, operator: string[] = []): DirectoryFacts => ({
  values,
  sources: Object.fromEntries(
    Object.keys(values).map((k) => [
      k,
      operator.includes(k)
        ? 'directory:operator'
        : k.includes('group')
          ? 'directory:groups'
          : 'directory:scim',
    ]),
  ),
  shortNames: new Map(),
});
const allow = (id: string, roleArn: string, when: unknown[], grant: object = {}) =>
  AllowRuleSchema.parse({ id, priority: 10, effect: 'allow', when, grant: { roleArn, ...grant } });

describe('directory.* in conditions and templates', () => {
  const rules: Rule[] = [
    allow(
      'cost-center-admins',
      ADMIN,
      [{ claim: 'directory.costCenter', op: 'equals', value: 'cc-1001', quantifier: 'any' }],
      {
        sessionTags: {
          cc: '{directory.costCenter}',
          clearance: { value: '{directory.group.clearance}', optional: true },
        },
      },
    ),
  ];

  it('grants on a directory attribute and renders it into a tag', () => {
    const identity = applyDirectory(
      token({}),
      facts({ 'directory.costCenter': ['cc-1001'], 'directory.group.clearance': ['secret'] }),
    );
    const { grants } = mapGrants({ identity, rules, defaults });
    expect(grants.map((g) => g.tags)).toEqual([
      [
        { key: 'cc', value: 'cc-1001' },
        { key: 'clearance', value: 'secret' },
      ],
    ]);
  });

  it('never reads a token claim named directory.* (the IdP cannot pose as the directory)', () => {
    const spoofed = token({ 'directory.costCenter': ['cc-1001'] });
    expect(mapGrants({ identity: spoofed, rules, defaults }).grants).toEqual([]);
    expect(
      mapGrants({ identity: applyDirectory(spoofed, undefined), rules, defaults }).grants,
    ).toEqual([]);
    expect(
      mapGrants({
        identity: applyDirectory(spoofed, facts({ 'directory.costCenter': ['cc-2'] })),
        rules,
        defaults,
      }).grants,
    ).toEqual([]);
  });
});

describe('which source wins (directory.claims)', () => {
  const rule = allow('eng', READ, [
    { claim: 'dept', op: 'equals', value: 'eng', quantifier: 'any' },
  ]);
  const deny = DenyRuleSchema.parse({
    id: 'no-sales',
    priority: 0,
    effect: 'deny',
    when: [{ claim: 'dept', op: 'equals', value: 'sales', quantifier: 'any' }],
  });
  const run = (
    prefer: 'token' | 'directory' | 'union',
    t: string[] | undefined,
    d: string[] | undefined,
  ) => {
    const identity = applyDirectory(
      token(t ? { dept: t } : {}),
      facts(d ? { 'directory.dept': d } : {}),
      { dept: { from: 'directory.dept', prefer } },
    );
    return {
      granted: mapGrants({ identity, rules: [rule], defaults }).grants.length > 0,
      denied: mapGrants({ identity, rules: [rule], gatewayRules: [deny], defaults }).denied,
      claim: identity.claims.dept,
      source: identity.provenance?.dept,
    };
  };

  it.each([
    ['token', ['eng'], ['ops'], ['eng'], 'token'],
    ['token', undefined, ['eng'], ['eng'], 'directory:scim'],
    ['directory', ['eng'], ['ops'], ['ops'], 'directory:scim'],
    ['directory', ['eng'], undefined, ['eng'], 'token'],
    ['union', ['eng'], ['ops'], ['eng', 'ops'], 'token+directory'],
  ] as const)('prefer %s: token %j, directory %j → %j from %s', (prefer, t, d, claim, source) => {
    const r = run(prefer, t as string[] | undefined, d as string[] | undefined);
    expect(r.claim).toEqual(claim);
    expect(r.source).toBe(source);
  });

  it('a deny reads both sources whichever wins for allows', () => {
    for (const prefer of ['token', 'directory', 'union'] as const) {
      expect(run(prefer, ['eng'], ['sales']).denied).toBe(true);
      expect(run(prefer, ['sales'], ['eng']).denied).toBe(true);
    }
  });
});

describe('overage', () => {
  it('fills the groups claims the IdP left out from the directory group ids', () => {
    const identity = applyDirectory(
      token(
        {},
        {
          groupsOverage: [
            'groups',
            'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
          ],
        },
      ),
      facts({ 'directory.groups': ['gid-1', 'gid-2'] }),
    );
    expect(identity.claims.groups).toEqual(['gid-1', 'gid-2']);
    expect(
      identity.claims['http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'],
    ).toEqual(['gid-1', 'gid-2']);
    expect(identity.groupsOverage).toBeUndefined();
  });
});

describe('explain shows where each value came from', () => {
  it('names the source of every present claim a condition reads', () => {
    const rules = [
      allow('x', ADMIN, [
        { claim: 'dept', op: 'equals', value: 'eng', quantifier: 'any' },
        { claim: 'directory.clearance', op: 'equals', value: 'secret', quantifier: 'any' },
        { claim: 'directory.groupNames', op: 'equals', value: 'aws-admins', quantifier: 'any' },
      ]),
    ];
    const identity = applyDirectory(
      token({ dept: ['eng'] }),
      facts(
        {
          'directory.dept': ['ops'],
          'directory.clearance': ['secret'],
          'directory.groupNames': ['aws-admins'],
        },
        ['directory.clearance'],
      ),
      { dept: { from: 'directory.dept', prefer: 'union' } },
    );
    const [r] = explain({ identity, rules, defaults }).rules;
    expect(r?.conditions.map((c) => [c.claim, c.source])).toEqual([
      ['dept', 'token+directory'],
      ['directory.clearance', 'directory:operator'],
      ['directory.groupNames', 'directory:groups'],
    ]);
  });

  it('names the sources of every tag a matched rule renders, per tag key', () => {
    const rules = [
      allow('x', ADMIN, [], {
        sessionTags: {
          cc: '{directory.costCenter}',
          who: '{claims.dept}-{directory.clearance}',
          teams: { value: '{directory.groupNames}', fit: { prefixes: ['aws-'] } },
          fixed: 'static',
          idp: '{idp}',
          absent: { value: '{directory.nothing}', optional: true },
        },
      }),
    ];
    const identity = applyDirectory(
      token({ dept: ['eng'] }),
      facts(
        {
          'directory.costCenter': ['cc-1'],
          'directory.clearance': ['secret'],
          'directory.groupNames': ['aws-admins'],
        },
        ['directory.clearance'],
      ),
    );
    const [r] = explain({ identity, rules, defaults }).rules;
    expect(r?.effect === 'allow' ? r.tagSources : undefined).toEqual({
      cc: ['directory:scim'],
      who: ['token', 'directory:operator'],
      teams: ['directory:groups'],
    });
    // Without a directory there is one source: nothing to say.
    const [plain] = explain({ identity: token({ dept: ['eng'] }), rules, defaults }).rules;
    expect(plain?.effect === 'allow' ? plain.tagSources : 'x').toBeUndefined();
  });
});
