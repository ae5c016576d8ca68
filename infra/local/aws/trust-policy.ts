import { faults } from './sts-wire.js';

/**
 * Role trust policies for the local STS stand-in: IAM's JSON policy documents, evaluated the way
 * IAM evaluates a role trust policy for AssumeRoleWithSAML / AssumeRoleWithWebIdentity (IAM User
 * Guide, "Policy evaluation logic" and "IAM JSON policy elements: Condition operators"), for the
 * subset fedgate's trust policies use. Anything outside that subset is refused when the policy is
 * loaded, never silently read as "allow":
 *
 * - `Effect` Allow or Deny; an explicit Deny wins, else an Allow must match, else implicit deny;
 * - `Principal`: `"*"` or `{ "Federated": ARN | ARN[] }` (IAM SAML / OIDC provider ARNs);
 * - `Action`: strings, case-insensitive, with `*` and `?` wildcards;
 * - `Condition`: `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`, `StringLike`,
 *   `StringNotLike`, each optionally `ForAnyValue:` / `ForAllValues:` and/or `…IfExists`;
 *   operators are ANDed, keys within an operator are ANDed, values of a key are ORed; keys are
 *   case-insensitive, values case-sensitive (but for `…IgnoreCase`); a key missing from the
 *   request makes a positive operator false and a negated one true, `IfExists` makes it true,
 *   `ForAllValues` over a missing key is true (IAM's documented pitfall) and `ForAnyValue` false;
 * - no `NotAction`, `NotPrincipal`, `Resource` (trust policies have none) or policy variables.
 */

/** A role trust policy document, as IAM takes it (JSON). */
export interface TrustPolicyDocument {
  Version: '2012-10-17' | '2008-10-17';
  Statement: TrustPolicyStatement | TrustPolicyStatement[];
}

export interface TrustPolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal: '*' | { Federated: string | string[] };
  Action: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** The request context IAM evaluates a trust policy against. */
export interface TrustRequest {
  /** e.g. `sts:AssumeRoleWithWebIdentity`, `sts:TagSession`, `sts:SetSourceIdentity`. */
  action: string;
  /** The provider ARN the call came through (`arn:aws:iam::<acct>:oidc-provider/<host>`). */
  federatedPrincipal: string;
  /** Condition keys (any case) and their values; multi-valued keys as arrays. */
  context: Readonly<Record<string, string | readonly string[] | undefined>>;
}

export type TrustDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

type Matcher = (value: string, pattern: string) => boolean;

const BASE_OPERATORS: Readonly<Record<string, { match: Matcher; negated: boolean }>> = {
  StringEquals: { match: (v, p) => v === p, negated: false },
  StringNotEquals: { match: (v, p) => v === p, negated: true },
  StringEqualsIgnoreCase: { match: (v, p) => v.toLowerCase() === p.toLowerCase(), negated: false },
  StringLike: { match: (v, p) => wildcard(p).test(v), negated: false },
  StringNotLike: { match: (v, p) => wildcard(p).test(v), negated: true },
};

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** IAM's `*` (any run of characters, `#` and `/` included) and `?` (one character), anchored. */
const wildcard = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : escapeRegExp(c)))
      .join('')}$`,
  );

interface ParsedCondition {
  key: string;
  values: string[];
  match: Matcher;
  negated: boolean;
  set: 'ForAnyValue' | 'ForAllValues' | undefined;
  ifExists: boolean;
}

interface ParsedStatement {
  effect: 'Allow' | 'Deny';
  principals: '*' | string[];
  actions: RegExp[];
  conditions: ParsedCondition[];
}

/** A trust policy checked once and ready to evaluate. */
export interface TrustPolicy {
  evaluate(request: TrustRequest): TrustDecision;
}

const list = (v: unknown, what: string): string[] => {
  const values = Array.isArray(v) ? v : [v];
  if (values.length === 0 || !values.every((x) => typeof x === 'string')) {
    throw new Error(`${what} must be a string or a non-empty list of strings`);
  }
  return values as string[];
};

const parseOperator = (name: string) => {
  let rest = name;
  let set: ParsedCondition['set'];
  for (const prefix of ['ForAnyValue', 'ForAllValues'] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
    }
  }
  const ifExists = rest.endsWith('IfExists');
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  const base = BASE_OPERATORS[rest];
  if (!base) throw new Error(`condition operator ${name} is not modelled by the stand-in`);
  return { ...base, set, ifExists };
};

const parseStatement = (raw: unknown, i: number): ParsedStatement => {
  const where = `Statement[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${where} must be an object`);
  }
  const s = raw as Record<string, unknown>;
  for (const field of Object.keys(s)) {
    if (!['Sid', 'Effect', 'Principal', 'Action', 'Condition'].includes(field)) {
      throw new Error(`${where}.${field} is not modelled by the stand-in`);
    }
  }
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
    throw new Error(`${where}.Effect must be Allow or Deny`);
  }
  let principals: ParsedStatement['principals'];
  if (s.Principal === '*') principals = '*';
  else if (
    typeof s.Principal === 'object' &&
    s.Principal !== null &&
    Object.keys(s.Principal).length === 1 &&
    'Federated' in s.Principal
  ) {
    principals = list((s.Principal as { Federated: unknown }).Federated, `${where}.Principal`);
  } else {
    throw new Error(`${where}.Principal must be "*" or { "Federated": … }`);
  }
  const actions = list(s.Action, `${where}.Action`).map((a) => {
    if (a !== '*' && !/^[a-z0-9-]+:[A-Za-z0-9*?]+$/i.test(a)) {
      throw new Error(`${where}.Action ${a} is not service:action`);
    }
    return new RegExp(wildcard(a).source, 'i');
  });
  const conditions: ParsedCondition[] = [];
  if (s.Condition !== undefined) {
    if (typeof s.Condition !== 'object' || s.Condition === null) {
      throw new Error(`${where}.Condition must be an object`);
    }
    for (const [operator, block] of Object.entries(s.Condition)) {
      const op = parseOperator(operator);
      if (typeof block !== 'object' || block === null || Array.isArray(block)) {
        throw new Error(`${where}.Condition.${operator} must map keys to values`);
      }
      for (const [key, value] of Object.entries(block)) {
        const values = list(value, `${where}.Condition.${operator}.${key}`);
        if (values.some((v) => v.includes('${'))) {
          throw new Error(`${where}: policy variables are not modelled by the stand-in`);
        }
        conditions.push({ key: key.toLowerCase(), values, ...op });
      }
    }
  }
  return { effect: s.Effect, principals, actions, conditions };
};

const contextValues = (request: TrustRequest, key: string): string[] | undefined => {
  for (const [k, v] of Object.entries(request.context)) {
    if (k.toLowerCase() === key && v !== undefined) return typeof v === 'string' ? [v] : [...v];
  }
  return undefined;
};

const holds = (c: ParsedCondition, request: TrustRequest): boolean => {
  const present = contextValues(request, c.key);
  if (present === undefined || present.length === 0) {
    if (c.ifExists) return true;
    if (c.set === 'ForAllValues') return true;
    if (c.set === 'ForAnyValue') return false;
    return c.negated;
  }
  const matchesOne = (v: string) => c.values.some((p) => c.match(v, p));
  const ok = (v: string) => (c.negated ? !matchesOne(v) : matchesOne(v));
  if (c.set === 'ForAllValues') return present.every(ok);
  if (c.set === 'ForAnyValue') return present.some(ok);
  // A single-valued operator on a multi-valued key: IAM wants a set operator; refuse to guess.
  if (present.length > 1) return false;
  return ok(present[0] as string);
};

const applies = (s: ParsedStatement, request: TrustRequest): boolean =>
  (s.principals === '*' || s.principals.includes(request.federatedPrincipal)) &&
  s.actions.some((a) => a.test(request.action)) &&
  s.conditions.every((c) => holds(c, request));

/**
 * Checks a trust policy document (JSON text or object) against the grammar above.
 * @throws Error naming the first construct the stand-in does not model (so it is never ignored).
 */
export const parseTrustPolicy = (document: TrustPolicyDocument | string): TrustPolicy => {
  const raw: unknown = typeof document === 'string' ? JSON.parse(document) : document;
  if (typeof raw !== 'object' || raw === null) throw new Error('a trust policy is a JSON object');
  const doc = raw as Record<string, unknown>;
  if (doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') {
    throw new Error('Version must be 2012-10-17');
  }
  for (const field of Object.keys(doc)) {
    if (!['Version', 'Id', 'Statement'].includes(field)) {
      throw new Error(`${field} is not a policy element`);
    }
  }
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).map(
    parseStatement,
  );
  if (statements.length === 0) throw new Error('a trust policy needs a statement');
  return {
    evaluate(request) {
      const matching = statements.filter((s) => applies(s, request));
      if (matching.some((s) => s.effect === 'Deny')) return 'explicit-deny';
      return matching.length > 0 ? 'allow' : 'implicit-deny';
    },
  };
};

/**
 * What STS answers when a role's trust policy does not allow an action: 403 AccessDenied, "Not
 * authorized to perform <action>" (the message STS gives for AssumeRoleWith* and the TagSession /
 * SetSourceIdentity permissions it checks beside them).
 * @throws StsFault AccessDenied unless the policy allows the request.
 */
export const authorizeByTrustPolicy = (policy: TrustPolicy, request: TrustRequest): void => {
  if (policy.evaluate(request) !== 'allow') {
    throw faults.accessDenied(`Not authorized to perform ${request.action}`);
  }
};

/** The sign-in SAML endpoints (global and regional) of a partition: what `SAML:aud` can be. */
const SAML_AUDIENCES: Readonly<Record<string, string[]>> = {
  aws: ['https://signin.aws.amazon.com/saml', 'https://*.signin.aws.amazon.com/saml'],
  'aws-us-gov': [
    'https://signin.amazonaws-us-gov.com/saml',
    'https://*.signin.amazonaws-us-gov.com/saml',
  ],
  'aws-cn': ['https://signin.amazonaws.cn/saml', 'https://*.signin.amazonaws.cn/saml'],
};

export interface DefaultTrustPolicyInput {
  roleArn: string;
  /** The IAM SAML provider's name in the role's account (default `fedgate`). */
  samlProviderName: string;
  /** The IAM OIDC provider: fedgate's issuer without its scheme (`127.0.0.1:8787`). */
  oidcProviderHost: string;
  /** The provider's client ids (the `aud` fedgate's tokens may carry). */
  audiences: readonly string[];
  allowTagSession?: boolean;
  allowSetSourceIdentity?: boolean;
}

/**
 * The trust policy fedgate's target-account stack gives a role (infra/cdk/target-account.ts):
 * SAML through the `fedgate` SAML provider with `SAML:aud` an AWS sign-in endpoint, and web
 * identity through fedgate's OIDC provider with `<host>:aud` a registered client id and
 * `<host>:sub` bound to this role (`<role ARN>#*`, see shared/issuer/README.md), each with
 * `sts:TagSession` and `sts:SetSourceIdentity` unless switched off.
 */
export const defaultTrustPolicy = (input: DefaultTrustPolicyInput): TrustPolicyDocument => {
  const [, partition = 'aws', , , account = ''] = input.roleArn.split(':');
  const extra = [
    ...(input.allowTagSession === false ? [] : ['sts:TagSession']),
    ...(input.allowSetSourceIdentity === false ? [] : ['sts:SetSourceIdentity']),
  ];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'FedgateSaml',
        Effect: 'Allow',
        Principal: {
          Federated: `arn:${partition}:iam::${account}:saml-provider/${input.samlProviderName}`,
        },
        Action: ['sts:AssumeRoleWithSAML', ...extra],
        Condition: { StringLike: { 'SAML:aud': SAML_AUDIENCES[partition] ?? [] } },
      },
      {
        Sid: 'FedgateWebIdentity',
        Effect: 'Allow',
        Principal: {
          Federated: `arn:${partition}:iam::${account}:oidc-provider/${input.oidcProviderHost}`,
        },
        Action: ['sts:AssumeRoleWithWebIdentity', ...extra],
        Condition: {
          StringEquals: { [`${input.oidcProviderHost}:aud`]: [...input.audiences] },
          StringLike: { [`${input.oidcProviderHost}:sub`]: `${input.roleArn}#*` },
        },
      },
    ],
  };
};
