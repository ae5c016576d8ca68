import { describe, expect, it } from 'vitest';
import { AllowRuleSchema, parseGatewayConfig } from '../../../shared/config/index.js';
import {
  applyDirectory,
  explain,
  type Identity,
  loadRegexEngine,
  mapGrants,
} from '../../../shared/mapping/index.js';

const regex = await loadRegexEngine();
const defaults = { sessionDurationSeconds: 3600, sessionName: '{subject}' };
const ROLE = 'arn:aws:iam::111122223333:role/Read';
const teams = (n: number) =>
  Array.from({ length: n }, (_, i) => `team-${String(i).padStart(3, '0')}`);

const person = (groupNames: string[], shortNames: [string, string][] = []): Identity =>
  applyDirectory(
    {
      idp: 'entra',
      issuer: 'https://sts.windows.net/t/',
      subject: 'oid',
      claims: { groups: ['g-admins'] },
    },
    {
      values: { 'directory.groupNames': groupNames },
      sources: { 'directory.groupNames': 'directory:groups' },
      shortNames: new Map(shortNames),
    },
  );

const ruleWith = (tag: unknown, more: object[] = [], transitive: string[] = []) => [
  AllowRuleSchema.parse({
    id: 'read',
    priority: 1,
    effect: 'allow',
    when: [],
    grant: { roleArn: ROLE, sessionTags: { teams: tag }, transitiveTagKeys: transitive },
  }),
  ...more.map((r) => AllowRuleSchema.parse(r)),
];

describe('a groups tag over 256 characters', () => {
  it('without a fit policy fails the grant, never truncated', () => {
    const r = mapGrants({
      identity: person(teams(40)),
      rules: ruleWith('{directory.groupNames}'),
      defaults,
    });
    expect(r.grants).toEqual([]);
    expect(r.problems[0]?.reason).toMatch(/tag teams: .*256/);
  });

  it('spread: numbered tags, filled in order, each within 256, values never split; transitive keys follow', () => {
    const r = mapGrants({
      identity: person(teams(40)),
      rules: ruleWith(
        { value: '{directory.groupNames}', fit: { spread: { maxTags: 5 } } },
        [],
        ['teams'],
      ),
      defaults,
    });
    const tags = r.grants[0]?.tags ?? [];
    expect(tags.map((t) => t.key)).toEqual(['teams1', 'teams2']);
    expect(tags.every((t) => t.value.length <= 256)).toBe(true);
    expect(
      tags
        .map((t) => t.value)
        .join(':')
        .split(':'),
    ).toEqual(teams(40));
    expect(r.grants[0]?.transitiveTagKeys).toEqual(['teams1', 'teams2']);
  });

  it('spread beyond maxTags fails the grant with the reason', () => {
    const r = mapGrants({
      identity: person(teams(300)),
      rules: ruleWith({ value: '{directory.groupNames}', fit: { spread: { maxTags: 3 } } }),
      defaults,
    });
    expect(r.grants).toEqual([]);
    expect(r.problems[0]?.reason).toMatch(/more than fit.spread.maxTags 3/);
  });

  it('prefixes and pattern keep some values; explain lists each dropped value and why', () => {
    const rules = ruleWith({
      value: '{directory.groupNames}',
      fit: { prefixes: ['team-0'], pattern: 'team-00[0-4]' },
    });
    const identity = person([...teams(12), 'Everyone']);
    expect(mapGrants({ identity, rules, defaults, regex }).grants[0]?.tags).toEqual([
      { key: 'teams', value: 'team-000:team-001:team-002:team-003:team-004' },
    ]);
    const [rule] = explain({ identity, rules, defaults, regex }).rules;
    const fit = rule?.effect === 'allow' ? rule.tagFit?.[0] : undefined;
    expect(fit?.kept).toBe(5);
    expect(fit?.dropped).toContainEqual({
      value: 'Everyone',
      reason: 'starts with none of fit.prefixes',
    });
    expect(fit?.dropped).toContainEqual({
      value: 'team-007',
      reason: 'does not match fit.pattern',
    });
    expect(fit?.dropped).toHaveLength(8);
  });

  it('onlyMentioned keeps the values a rule of the IdP compares the claim with', () => {
    const rules = ruleWith({ value: '{directory.groupNames}', fit: { onlyMentioned: true } }, [
      {
        id: 'admins',
        priority: 2,
        effect: 'allow',
        when: [
          { claim: 'directory.groupNames', op: 'equals', value: 'team-007', quantifier: 'any' },
        ],
        grant: { roleArn: 'arn:aws:iam::111122223333:role/Admin' },
      },
      {
        id: 'ops',
        priority: 3,
        effect: 'allow',
        when: [
          { claim: 'directory.groupNames', op: 'startsWith', value: 'team-01', quantifier: 'any' },
        ],
        grant: { roleArn: 'arn:aws:iam::111122223333:role/Ops' },
      },
    ]);
    const tags = mapGrants({ identity: person(teams(300)), rules, defaults }).grants[0]?.tags;
    expect(tags?.[0]?.value.split(':')).toEqual(['team-007', ...teams(20).slice(10)]);
  });

  it('shortNames replaces each group by its directory shortName, then joins', () => {
    const rules = ruleWith({ value: '{directory.groupNames}', fit: { shortNames: true } });
    const identity = person(['Platform Engineering', 'Finance'], [['Platform Engineering', 'pe']]);
    expect(mapGrants({ identity, rules, defaults }).grants[0]?.tags).toEqual([
      { key: 'teams', value: 'Finance:pe' },
    ]);
  });

  it('a numbered key that collides with another tag fails the grant', () => {
    const rules = [
      AllowRuleSchema.parse({
        id: 'read',
        priority: 1,
        effect: 'allow',
        when: [],
        grant: {
          roleArn: ROLE,
          sessionTags: {
            teams: { value: '{directory.groupNames}', fit: { spread: { maxTags: 4 } } },
            teams1: 'fixed',
          },
        },
      }),
    ];
    const r = mapGrants({ identity: person(teams(5)), rules, defaults });
    expect(r.grants).toEqual([]);
    expect(r.problems[0]?.reason).toMatch(/emitted twice/);
  });
});

describe('the fit schema', () => {
  const base = {
    version: 1,
    idps: [
      {
        id: 'x',
        displayName: 'X',
        protocol: 'oidc',
        oidc: { issuer: 'https://idp.example', clientId: 'c' },
        rules: [] as unknown[],
      },
    ],
  };
  const withTag = (tag: unknown) => ({
    ...base,
    idps: [
      {
        ...base.idps[0],
        rules: [
          {
            id: 'r',
            priority: 1,
            effect: 'allow',
            when: [],
            grant: { roleArn: ROLE, sessionTags: { t: tag } },
          },
        ],
      },
    ],
  });

  it.each([
    [
      'text around the placeholder',
      { value: 'x-{claims.groups}', fit: { spread: { maxTags: 2 } } },
    ],
    ['multiValue other than join', { value: '{claims.groups}', multiValue: 'first', fit: {} }],
    ['a pattern RE2 syntax refuses', { value: '{claims.groups}', fit: { pattern: '(?=x)' } }],
    ['maxTags over 50', { value: '{claims.groups}', fit: { spread: { maxTags: 51 } } }],
  ])('refuses %s', (_what, tag) => {
    expect(() => parseGatewayConfig(withTag(tag))).toThrow();
  });
});
