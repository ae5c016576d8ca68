/**
 * The condition schemas of allow and deny rules: what each side accepts, the explicit form it
 * turns that into, and the rewrite every refused old form is answered with.
 */
import { describe, expect, it } from 'vitest';
import {
  AllowRuleSchema,
  ConfigError,
  DenyRuleSchema,
  parseGatewayConfig,
} from '../../../shared/config/index.js';

const ROLE = 'arn:aws:iam::111122223333:role/Admin';
const allowWhen = (c: Record<string, unknown>) =>
  AllowRuleSchema.safeParse({
    id: 'a',
    priority: 1,
    effect: 'allow',
    when: [c],
    grant: { roleArn: ROLE },
  });
const denyWhen = (c: Record<string, unknown>) =>
  DenyRuleSchema.safeParse({ id: 'd', priority: 1, effect: 'deny', when: [c] });
const parsedWhen = (r: ReturnType<typeof allowWhen> | ReturnType<typeof denyWhen>) => {
  if (!r.success) throw new Error(JSON.stringify(r.error.issues));
  return r.data.when[0];
};
const issue = (r: ReturnType<typeof allowWhen> | ReturnType<typeof denyWhen>) => {
  expect(r.success).toBe(false);
  const [first] = r.error?.issues ?? [];
  return { path: first?.path.join('.'), message: first?.message ?? '' };
};

describe('allow conditions: old forms keep their meaning, written out', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    [
      'contains → equals + any',
      { claim: 'groups', op: 'contains', value: 'aws-admins' },
      { claim: 'groups', op: 'equals', value: 'aws-admins', quantifier: 'any', case: 'exact' },
    ],
    [
      'equals without quantifier → exactlyOne',
      { claim: 'hd', op: 'equals', value: 'example.com' },
      { claim: 'hd', op: 'equals', value: 'example.com', quantifier: 'exactlyOne', case: 'exact' },
    ],
    [
      'startsWith without quantifier → any',
      { claim: 'g', op: 'startsWith', value: 'aws-' },
      { claim: 'g', op: 'startsWith', value: 'aws-', quantifier: 'any', case: 'exact' },
    ],
    [
      'matches without quantifier → any',
      { claim: 'g', op: 'matches', value: 'aws-.*' },
      { claim: 'g', op: 'matches', value: 'aws-.*', quantifier: 'any', case: 'exact' },
    ],
    [
      'ignoreCase: true → fold',
      { claim: 'g', op: 'contains', value: 'Admins', ignoreCase: true },
      { claim: 'g', op: 'equals', value: 'Admins', quantifier: 'any', case: 'fold' },
    ],
    [
      'ignoreCase: false → exact',
      { claim: 'g', op: 'equals', value: 'x', ignoreCase: false },
      { claim: 'g', op: 'equals', value: 'x', quantifier: 'exactlyOne', case: 'exact' },
    ],
    [
      'the new form as written',
      { claim: 'g', op: 'equals', value: 'x', quantifier: 'all', case: 'fold' },
      { claim: 'g', op: 'equals', value: 'x', quantifier: 'all', case: 'fold' },
    ],
    ['exists', { claim: 'g', op: 'exists' }, { claim: 'g', op: 'exists' }],
  ])('%s', (_, input, output) => {
    const when = parsedWhen(allowWhen(input));
    expect(when).toEqual(output);
    // The written-out form parses to itself: what the table stores reads back the same.
    expect(parsedWhen(allowWhen(when as unknown as Record<string, unknown>))).toEqual(output);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      'notEquals',
      { claim: 'g', op: 'notEquals', value: 'x' },
      'when.0.op',
      /deny rule.*op: equals, value: x, quantifier: any/,
    ],
    ['absent', { claim: 'g', op: 'absent' }, 'when.0.op', /gained by not sending the claim/],
    [
      'ifMissing',
      { claim: 'g', op: 'equals', value: 'x', ifMissing: 'match' },
      'when.0.ifMissing',
      /deny rules/,
    ],
    ['a value op without value', { claim: 'g', op: 'equals' }, 'when.0.value', /needs a value/],
    [
      'a blank value',
      { claim: 'g', op: 'equals', value: ' ' },
      'when.0.value',
      /empty or white space/,
    ],
    [
      'exists with a value',
      { claim: 'g', op: 'exists', value: 'x' },
      'when.0.value',
      /takes no value/,
    ],
    [
      'case and ignoreCase',
      { claim: 'g', op: 'equals', value: 'x', case: 'fold', ignoreCase: true },
      'when.0.ignoreCase',
      /not ignoreCase as well/,
    ],
    [
      'contains with quantifier all',
      { claim: 'g', op: 'contains', value: 'x', quantifier: 'all' },
      'when.0.quantifier',
      /op: equals, value: x, quantifier: all/,
    ],
    ['an unknown key', { claim: 'g', op: 'equals', value: 'x', negate: true }, 'when.0', /negate/],
  ])('refuses %s', (_, input, path, message) => {
    const got = issue(allowWhen(input));
    expect(got.path).toBe(path);
    expect(got.message).toMatch(message);
  });
});

describe('deny conditions: only monotone ones, old forms refused with the new form', () => {
  it('writes the safe form out: any, fold, ifMissing match', () => {
    expect(
      parsedWhen(
        denyWhen({ claim: 'employeeType', op: 'equals', value: 'contractor', quantifier: 'any' }),
      ),
    ).toEqual({
      claim: 'employeeType',
      op: 'equals',
      value: 'contractor',
      quantifier: 'any',
      case: 'fold',
      ifMissing: 'match',
    });
    const explicit = {
      claim: 'e',
      op: 'startsWith',
      value: 'ext-',
      quantifier: 'any',
      case: 'fold',
      ifMissing: 'noMatch',
    };
    expect(parsedWhen(denyWhen(explicit))).toEqual(explicit);
    expect(parsedWhen(denyWhen({ claim: 'mfa', op: 'absent' }))).toEqual({
      claim: 'mfa',
      op: 'absent',
    });
  });

  const REWRITE =
    'deny conditions now match any value, ignoring case, and hold when the claim is missing: write { claim: employeeType, op: equals, value: contractor, quantifier: any }';
  it.each<[string, Record<string, unknown>, string, string | RegExp]>([
    [
      'equals without quantifier',
      { claim: 'employeeType', op: 'equals', value: 'contractor' },
      'when.0.quantifier',
      REWRITE,
    ],
    [
      'contains',
      { claim: 'employeeType', op: 'contains', value: 'contractor' },
      'when.0.op',
      `contains is gone; ${REWRITE}`,
    ],
    [
      'ignoreCase',
      {
        claim: 'employeeType',
        op: 'equals',
        value: 'contractor',
        ignoreCase: true,
        quantifier: 'any',
      },
      'when.0.ignoreCase',
      `ignoreCase is gone (deny rules always fold case); ${REWRITE}`,
    ],
    [
      'quantifier all',
      { claim: 'employeeType', op: 'equals', value: 'contractor', quantifier: 'all' },
      'when.0.quantifier',
      /escaped by adding a value/,
    ],
    [
      'quantifier exactlyOne',
      { claim: 'employeeType', op: 'equals', value: 'contractor', quantifier: 'exactlyOne' },
      'when.0.quantifier',
      /escaped by adding a value/,
    ],
    [
      'case exact',
      {
        claim: 'employeeType',
        op: 'equals',
        value: 'contractor',
        quantifier: 'any',
        case: 'exact',
      },
      'when.0.case',
      /escaped by re-casing/,
    ],
    [
      'exists',
      { claim: 'employeeType', op: 'exists' },
      'when.0.op',
      /escaped by not sending the claim/,
    ],
    [
      'notEquals',
      { claim: 'department', op: 'notEquals', value: 'eng' },
      'when.0.op',
      /escaped by adding X/,
    ],
    [
      'absent with a value',
      { claim: 'mfa', op: 'absent', value: 'x' },
      'when.0.value',
      /takes no value/,
    ],
  ])('refuses %s', (_, input, path, message) => {
    const got = issue(denyWhen(input));
    expect(got.path).toBe(path);
    if (typeof message === 'string') expect(got.message).toBe(message);
    else expect(got.message).toMatch(message);
  });
});

describe('matches patterns', () => {
  const pattern = (value: string, extra: Record<string, unknown> = {}) =>
    allowWhen({ claim: 'email', op: 'matches', value, ...extra });

  it('accepts the catastrophic-backtracking shape: RE2 runs it in linear time', () => {
    expect(pattern('([a-z0-9]+[._-]?)+@example\\.com').success).toBe(true);
    expect(pattern('(a+)+$').success).toBe(true);
  });

  it.each<[string, RegExp]>([
    ['(?=admin).*', /lookahead and lookbehind/],
    ['(?<!x)y', /lookahead and lookbehind/],
    ['(a)\\1', /backreferences/],
    ['\\k<n>', /backreferences/],
    ['(?i)admin', /set case: fold/],
    ['(?s:.)', /inline flags/],
    ['\\u00e9', /\\x\{hhhh\}/],
    ['a\\C', /any byte/],
    ['a[bc', /invalid regular expression/],
    ['x'.repeat(257), /longer than 256/],
  ])('refuses %s', (value, message) => {
    expect(issue(pattern(value)).message).toMatch(message);
  });

  it('keeps escaped look-alikes: \\(?= is a literal', () => {
    expect(pattern('\\(\\?=x\\)').success).toBe(true);
    expect(pattern('[(?=]+').success).toBe(true);
  });

  it('in fold mode refuses characters no folded value contains', () => {
    expect(issue(pattern('straße', { case: 'fold' })).message).toMatch(/folds to "ss"/);
    expect(issue(pattern('ﬁle', { case: 'fold' })).message).toMatch(/folds to "fi"/);
    expect(pattern('strasse', { case: 'fold' }).success).toBe(true);
    expect(pattern('STRASSE', { case: 'fold' }).success).toBe(true);
    expect(pattern('straße').success).toBe(true);
  });
});

describe('folded values have no surrounding white space, so neither may a folded condition', () => {
  it.each<[string, Record<string, unknown>, 'allow' | 'deny']>([
    [
      'an allow startsWith (would match "administrators")',
      { op: 'startsWith', value: 'admin ', case: 'fold' },
      'allow',
    ],
    [
      'an allow matches (would match nothing)',
      { op: 'matches', value: 'admin.* ', case: 'fold' },
      'allow',
    ],
    [
      'a deny matches (would deny nobody)',
      { op: 'matches', value: ' contr.*', quantifier: 'any' },
      'deny',
    ],
    ['a deny equals', { op: 'equals', value: 'contractor\t', quantifier: 'any' }, 'deny'],
    ['ignoreCase: true (fold)', { op: 'startsWith', value: 'admin ', ignoreCase: true }, 'allow'],
  ])('%s: refused with the trimmed value', (_, c, effect) => {
    const when = { claim: 'groups', ...c };
    const got = issue(effect === 'allow' ? allowWhen(when) : denyWhen(when));
    expect(got.path).toBe('when.0.value');
    expect(got.message).toMatch(/no surrounding white space: write "/);
  });

  it('an exact comparison keeps its white space (values are compared as sent)', () => {
    expect(parsedWhen(allowWhen({ claim: 'g', op: 'startsWith', value: 'admin ' }))).toMatchObject({
      value: 'admin ',
      case: 'exact',
    });
  });
});

describe('the gateway config', () => {
  const idp = (over: Record<string, unknown> = {}) => ({
    id: 'entra',
    displayName: 'Entra',
    protocol: 'oidc',
    oidc: { issuer: 'https://login.microsoftonline.com/tid/v2.0', clientId: 'c', profile: 'entra' },
    ...over,
  });
  const issuesOf = (doc: unknown) => {
    try {
      parseGatewayConfig(doc);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.issues.map((i) => i.path);
      throw err;
    }
  };

  it('takes gateway-wide deny rules, deny only, ids unique', () => {
    const rule = { id: 'g', priority: 1, effect: 'deny', when: [] };
    expect(
      parseGatewayConfig({ version: 1, gatewayRules: [rule], idps: [idp()] }).gatewayRules,
    ).toEqual([rule]);
    expect(parseGatewayConfig({ version: 1, idps: [idp()] }).gatewayRules).toEqual([]);
    expect(issuesOf({ version: 1, gatewayRules: [rule, rule], idps: [idp()] })).toEqual([
      'gatewayRules[1].id',
    ]);
    expect(
      issuesOf({ version: 1, gatewayRules: [{ ...rule, effect: 'allow' }], idps: [idp()] }),
    ).toEqual(['gatewayRules[0].effect']);
    expect(
      issuesOf({
        version: 1,
        gatewayRules: [{ ...rule, when: [{ claim: 't', op: 'equals', value: 'x' }] }],
        idps: [idp()],
      }),
    ).toEqual(['gatewayRules[0].when[0].quantifier']);
  });

  it.each([
    ['email (OIDC, profile entra)', idp({ subjectClaim: 'email' })],
    [
      'preferred_username (OIDC, Microsoft issuer)',
      idp({
        subjectClaim: 'preferred_username',
        oidc: { issuer: 'https://login.microsoftonline.com/t/v2.0', clientId: 'c' },
      }),
    ],
    [
      'an alias of the emailaddress URI (SAML with allowedTenants)',
      {
        id: 'entra',
        displayName: 'Entra',
        protocol: 'saml',
        saml: {
          entityId: 'https://sts.windows.net/t/',
          signingCertificates: ['A'.repeat(80)],
          allowedTenants: ['t'],
        },
        subjectClaim: 'mail',
        claimAliases: {
          mail: ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'],
        },
      },
    ],
  ])('refuses %s as the subject of an Entra-shaped IdP', (_, entra) => {
    expect(issuesOf({ version: 1, idps: [entra] })).toEqual(['idps[0].subjectClaim']);
  });

  it('accepts the object id as the Entra subject, and email as a non-Entra subject', () => {
    expect(issuesOf({ version: 1, idps: [idp({ subjectClaim: 'oid' })] })).toEqual([]);
    const google = idp({
      id: 'google',
      subjectClaim: 'email',
      oidc: { issuer: 'https://accounts.google.com', clientId: 'c', profile: 'google' },
    });
    expect(issuesOf({ version: 1, idps: [google] })).toEqual([]);
  });
});
