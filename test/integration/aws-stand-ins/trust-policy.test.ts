import { describe, expect, it } from 'vitest';
import {
  defaultTrustPolicy,
  parseTrustPolicy,
  type TrustPolicyDocument,
} from '../../../infra/local/aws/index.js';

/**
 * The stand-in's trust policy evaluation against IAM's documented rules ("Policy evaluation
 * logic", "Condition operators", "Single-valued vs. multivalued context keys"), case by case.
 */

const OIDC = 'arn:aws:iam::111111111111:oidc-provider/sso.example.com';
const SAML = 'arn:aws:iam::111111111111:saml-provider/fedgate';
const ROLE = 'arn:aws:iam::111111111111:role/dev';

const policy = (...statements: TrustPolicyDocument['Statement'][]) =>
  parseTrustPolicy({ Version: '2012-10-17', Statement: statements.flat() });

const allowWeb = (condition?: Record<string, Record<string, string | string[]>>) => ({
  Effect: 'Allow' as const,
  Principal: { Federated: OIDC },
  Action: 'sts:AssumeRoleWithWebIdentity',
  ...(condition ? { Condition: condition } : {}),
});

const ask = (
  p: ReturnType<typeof parseTrustPolicy>,
  context: Record<string, string | string[] | undefined>,
  action = 'sts:AssumeRoleWithWebIdentity',
  federatedPrincipal = OIDC,
) => p.evaluate({ action, federatedPrincipal, context });

describe('trust policy evaluation (local STS stand-in)', () => {
  it('allows only the named action and provider', () => {
    const p = policy(allowWeb());
    expect(ask(p, {})).toBe('allow');
    expect(ask(p, {}, 'sts:AssumeRoleWithSAML')).toBe('implicit-deny');
    expect(ask(p, {}, 'sts:AssumeRoleWithWebIdentity', SAML)).toBe('implicit-deny');
    expect(ask(p, {}, 'STS:assumerolewithwebidentity')).toBe('allow');
  });

  it('matches action wildcards', () => {
    const p = policy({ ...allowWeb(), Action: 'sts:AssumeRoleWith*' });
    expect(ask(p, {}, 'sts:AssumeRoleWithSAML', OIDC)).toBe('allow');
    expect(ask(p, {}, 'sts:TagSession')).toBe('implicit-deny');
  });

  it('StringEquals: values ORed, keys ANDed, keys case-insensitive, values case-sensitive', () => {
    const p = policy(
      allowWeb({
        StringEquals: { 'sso.example.com:aud': ['a', 'b'], 'sso.example.com:sub': 'x' },
      }),
    );
    expect(ask(p, { 'sso.example.com:aud': 'b', 'SSO.example.com:SUB': 'x' })).toBe('allow');
    expect(ask(p, { 'sso.example.com:aud': 'B', 'sso.example.com:sub': 'x' })).toBe(
      'implicit-deny',
    );
    expect(ask(p, { 'sso.example.com:aud': 'a' })).toBe('implicit-deny'); // sub missing
  });

  it('StringLike: * spans any characters (# and / too), ? one; anchored at both ends', () => {
    const p = policy(allowWeb({ StringLike: { 'sso.example.com:sub': `${ROLE}#*` } }));
    expect(ask(p, { 'sso.example.com:sub': `${ROLE}#abc/def#g` })).toBe('allow');
    expect(ask(p, { 'sso.example.com:sub': `${ROLE}#` })).toBe('allow');
    expect(ask(p, { 'sso.example.com:sub': `${ROLE}x#abc` })).toBe('implicit-deny');
    expect(ask(p, { 'sso.example.com:sub': `x${ROLE}#abc` })).toBe('implicit-deny');
    expect(ask(p, { 'sso.example.com:sub': `${ROLE}/admin#abc` })).toBe('implicit-deny');
    const q = policy(allowWeb({ StringLike: { 'sso.example.com:sub': 'a?c' } }));
    expect(ask(q, { 'sso.example.com:sub': 'abc' })).toBe('allow');
    expect(ask(q, { 'sso.example.com:sub': 'ac' })).toBe('implicit-deny');
    // Regular expression characters are literal.
    const r = policy(allowWeb({ StringLike: { 'sso.example.com:sub': 'a.c' } }));
    expect(ask(r, { 'sso.example.com:sub': 'abc' })).toBe('implicit-deny');
  });

  it('a missing key: positive operators false, negated true, IfExists true', () => {
    const key = 'sso.example.com:amr';
    expect(ask(policy(allowWeb({ StringEquals: { [key]: 'x' } })), {})).toBe('implicit-deny');
    expect(ask(policy(allowWeb({ StringNotEquals: { [key]: 'x' } })), {})).toBe('allow');
    expect(ask(policy(allowWeb({ StringEqualsIfExists: { [key]: 'x' } })), {})).toBe('allow');
    expect(ask(policy(allowWeb({ StringEqualsIfExists: { [key]: 'x' } })), { [key]: 'y' })).toBe(
      'implicit-deny',
    );
  });

  it('ForAnyValue / ForAllValues over a multivalued key, and the empty-set pitfall', () => {
    const any = policy({
      ...allowWeb({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team', 'dept'] } }),
      Action: 'sts:TagSession',
    });
    const all = policy({
      ...allowWeb({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'dept'] } }),
      Action: 'sts:TagSession',
    });
    const tag = (keys?: string[]) => ({ 'aws:TagKeys': keys });
    expect(ask(any, tag(['team', 'other']), 'sts:TagSession')).toBe('allow');
    expect(ask(any, tag(['other']), 'sts:TagSession')).toBe('implicit-deny');
    expect(ask(any, tag(), 'sts:TagSession')).toBe('implicit-deny');
    expect(ask(all, tag(['team', 'dept']), 'sts:TagSession')).toBe('allow');
    expect(ask(all, tag(['team', 'other']), 'sts:TagSession')).toBe('implicit-deny');
    // IAM: ForAllValues is true when the key is absent (why it is paired with a Null check).
    expect(ask(all, tag(), 'sts:TagSession')).toBe('allow');
  });

  it('an explicit Deny wins over any Allow', () => {
    const p = policy(allowWeb(), {
      Effect: 'Deny',
      Principal: '*',
      Action: 'sts:*',
      Condition: { StringLike: { 'sts:RoleSessionName': 'mallory*' } },
    });
    expect(ask(p, { 'sts:RoleSessionName': 'alice' })).toBe('allow');
    expect(ask(p, { 'sts:RoleSessionName': 'mallory-1' })).toBe('explicit-deny');
  });

  it.each([
    ['NotAction', { Effect: 'Allow', Principal: '*', NotAction: 'sts:TagSession' }],
    ['NotPrincipal', { Effect: 'Deny', NotPrincipal: { Federated: OIDC }, Action: '*' }],
    ['a Resource', { ...allowWeb(), Resource: '*' }],
    ['an AWS principal', { ...allowWeb(), Principal: { AWS: 'arn:aws:iam::1:root' } }],
    ['an operator it does not model', allowWeb({ ArnLike: { 'aws:SourceArn': 'x' } })],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
    ['a policy variable', allowWeb({ StringLike: { 'x:sub': '${aws:username}' } })],
    ['an Effect other than Allow/Deny', { ...allowWeb(), Effect: 'allow' }],
  ])('refuses a policy with %s instead of ignoring it', (_, statement) => {
    expect(() =>
      parseTrustPolicy({
        Version: '2012-10-17',
        Statement: [statement as unknown as TrustPolicyDocument['Statement'] & object],
      } as TrustPolicyDocument),
    ).toThrow();
  });

  it('refuses a document without Version 2012-10-17', () => {
    expect(() => parseTrustPolicy(JSON.stringify({ Statement: [allowWeb()] }))).toThrow(/Version/);
  });

  it('the default policy binds web identity to the role and allows SAML at any sign-in endpoint', () => {
    const p = parseTrustPolicy(
      defaultTrustPolicy({
        roleArn: ROLE,
        samlProviderName: 'fedgate',
        oidcProviderHost: 'sso.example.com',
        audiences: ['sts.amazonaws.com'],
      }),
    );
    const web = (sub: string, aud = 'sts.amazonaws.com') =>
      ask(p, { 'sso.example.com:sub': sub, 'sso.example.com:aud': aud });
    expect(web(`${ROLE}#p1`)).toBe('allow');
    expect(web(`${ROLE}#p1`, 'other')).toBe('implicit-deny');
    expect(web('arn:aws:iam::111111111111:role/admin#p1')).toBe('implicit-deny');
    expect(web('p1')).toBe('implicit-deny');
    const saml = (aud: string, action = 'sts:AssumeRoleWithSAML') =>
      ask(p, { 'SAML:aud': aud }, action, SAML);
    expect(saml('https://signin.aws.amazon.com/saml')).toBe('allow');
    expect(saml('https://eu-west-1.signin.aws.amazon.com/saml')).toBe('allow');
    expect(saml('https://signin.amazonaws.cn/saml')).toBe('implicit-deny');
    expect(saml('https://signin.aws.amazon.com/saml', 'sts:TagSession')).toBe('allow');
  });

  it('the default policy drops sts:TagSession / sts:SetSourceIdentity when switched off', () => {
    const p = parseTrustPolicy(
      defaultTrustPolicy({
        roleArn: ROLE,
        samlProviderName: 'fedgate',
        oidcProviderHost: 'sso.example.com',
        audiences: ['sts.amazonaws.com'],
        allowTagSession: false,
        allowSetSourceIdentity: false,
      }),
    );
    const context = {
      'sso.example.com:sub': `${ROLE}#p`,
      'sso.example.com:aud': 'sts.amazonaws.com',
    };
    expect(ask(p, context)).toBe('allow');
    expect(ask(p, context, 'sts:TagSession')).toBe('implicit-deny');
    expect(ask(p, context, 'sts:SetSourceIdentity')).toBe('implicit-deny');
  });
});
