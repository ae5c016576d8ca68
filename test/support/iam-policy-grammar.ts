/**
 * IAM's JSON policy grammar and a little of its evaluation, written from AWS's documentation (IAM
 * User Guide: "Grammar of the IAM JSON policy language", "IAM JSON policy elements" (Version, Sid,
 * Effect, Action, Resource, Condition), "Condition operators", "AWS global condition context
 * keys", "IAM and AWS STS quotas") for testing what fedgate writes into managed policies. It is
 * deliberately independent of fedgate's code: it only knows the documents, not how they are built.
 */

/** IAM quota: a customer managed policy is at most 6,144 characters, whitespace excluded. */
export const MANAGED_POLICY_MAX_CHARACTERS = 6144;

/** Condition operators IAM documents (before the IfExists suffix and set prefixes). */
const STRING_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
];
const DATE_OPERATORS = [
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
];
const OTHER_OPERATORS = [
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
];

/** Some global condition keys and their types (the ones a revocation policy could use, and a few more). */
const GLOBAL_KEYS: Readonly<Record<string, 'String' | 'Date' | 'Bool' | 'Arn' | 'Numeric' | 'Ip'>> =
  {
    'aws:sourceidentity': 'String',
    'aws:tokenissuetime': 'Date',
    'aws:currenttime': 'Date',
    'aws:epochtime': 'Numeric',
    'aws:principalarn': 'Arn',
    'aws:principalaccount': 'String',
    'aws:principaltype': 'String',
    'aws:userid': 'String',
    'aws:username': 'String',
    'aws:federatedprovider': 'String',
    'aws:multifactorauthpresent': 'Bool',
    'aws:multifactorauthage': 'Numeric',
    'aws:securetransport': 'Bool',
    'aws:sourceip': 'Ip',
    'aws:requestedregion': 'String',
    'aws:viaawsservice': 'Bool',
    'aws:calledvia': 'String',
  };

const KEY_TYPE_OPERATORS: Readonly<Record<string, string[]>> = {
  String: STRING_OPERATORS,
  Date: DATE_OPERATORS,
  Numeric: OTHER_OPERATORS.filter((o) => o.startsWith('Numeric')),
  Bool: ['Bool'],
  Arn: [...OTHER_OPERATORS.filter((o) => o.startsWith('Arn')), ...STRING_OPERATORS],
  Ip: ['IpAddress', 'NotIpAddress'],
};

/** ISO 8601 as IAM's date operators take it: a date, optionally a time, in UTC or with an offset. */
const ISO_8601 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d))?$/;

const ACTION = /^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/;

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

/**
 * Every way a document breaks IAM's grammar for a customer managed (identity-based) policy, as
 * `path: problem` lines; an empty list when IAM would accept it.
 */
export const validateManagedPolicy = (document: unknown): string[] => {
  const problems: string[] = [];
  const add = (path: string, problem: string) => problems.push(`${path}: ${problem}`);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return ['$: a policy is a JSON object'];
  }
  const size = JSON.stringify(document).replace(/\s/g, '').length;
  if (size > MANAGED_POLICY_MAX_CHARACTERS) {
    add('$', `${size} characters without whitespace, over ${MANAGED_POLICY_MAX_CHARACTERS}`);
  }
  const doc = document as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    if (!['Version', 'Id', 'Statement'].includes(key)) add(key, 'not a top-level policy element');
  }
  if (doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') {
    add('Version', 'must be 2012-10-17 (or 2008-10-17)');
  }
  if (doc.Statement === undefined) add('Statement', 'required');
  const statements = asList(doc.Statement);
  if (statements.length === 0) add('Statement', 'at least one statement');
  const sids = new Set<string>();
  statements.forEach((raw, i) => {
    const at = `Statement[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      add(at, 'a statement is a JSON object');
      return;
    }
    const s = raw as Record<string, unknown>;
    for (const key of Object.keys(s)) {
      if (
        !['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'].includes(
          key,
        )
      ) {
        add(`${at}.${key}`, 'not an element of an identity-based policy statement');
      }
    }
    if (s.Sid !== undefined) {
      if (typeof s.Sid !== 'string' || !/^[A-Za-z0-9]*$/.test(s.Sid)) {
        add(`${at}.Sid`, 'only A-Z, a-z and 0-9');
      } else if (sids.has(s.Sid)) add(`${at}.Sid`, 'Sids must be unique in a policy');
      else sids.add(s.Sid);
    }
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') add(`${at}.Effect`, 'Allow or Deny');
    if ((s.Action === undefined) === (s.NotAction === undefined)) {
      add(at, 'exactly one of Action and NotAction');
    }
    for (const a of asList(s.Action ?? s.NotAction)) {
      if (typeof a !== 'string' || !ACTION.test(a)) add(`${at}.Action`, `${String(a)}`);
    }
    if ((s.Resource === undefined) === (s.NotResource === undefined)) {
      add(at, 'exactly one of Resource and NotResource');
    }
    for (const r of asList(s.Resource ?? s.NotResource)) {
      if (typeof r !== 'string' || (r !== '*' && !r.startsWith('arn:'))) {
        add(`${at}.Resource`, `${String(r)}`);
      }
    }
    if (s.Condition === undefined) return;
    if (typeof s.Condition !== 'object' || s.Condition === null || Array.isArray(s.Condition)) {
      add(`${at}.Condition`, 'an object of operators');
      return;
    }
    for (const [operatorName, block] of Object.entries(s.Condition)) {
      const where = `${at}.Condition.${operatorName}`;
      let operator = operatorName;
      const prefix = /^(ForAllValues|ForAnyValue):/.exec(operator);
      if (prefix) operator = operator.slice(prefix[0].length);
      if (operator.endsWith('IfExists')) operator = operator.slice(0, -'IfExists'.length);
      const known = [...STRING_OPERATORS, ...DATE_OPERATORS, ...OTHER_OPERATORS].includes(operator);
      if (!known && !(operator === 'Null' && operatorName === 'Null')) {
        add(where, 'not a condition operator');
        continue;
      }
      if (typeof block !== 'object' || block === null || Array.isArray(block)) {
        add(where, 'maps condition keys to values');
        continue;
      }
      for (const [key, value] of Object.entries(block)) {
        const values = asList(value);
        if (values.length === 0) add(`${where}.${key}`, 'no value');
        if (!values.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
          add(`${where}.${key}`, 'values are strings, numbers or booleans');
        }
        const lower = key.toLowerCase();
        if (lower.startsWith('aws:')) {
          const type = GLOBAL_KEYS[lower];
          if (!type) {
            add(`${where}.${key}`, 'not a global condition key');
            continue;
          }
          if (operator !== 'Null' && !KEY_TYPE_OPERATORS[type]?.includes(operator)) {
            add(`${where}.${key}`, `a ${type} key cannot take ${operator}`);
          }
        } else if (!/^[a-z0-9-]+:[A-Za-z0-9_/:.-]+$/.test(key)) {
          add(`${where}.${key}`, 'not a service:key condition key');
        }
        if (DATE_OPERATORS.includes(operator)) {
          for (const v of values) {
            const ok =
              (typeof v === 'string' && ISO_8601.test(v) && !Number.isNaN(Date.parse(v))) ||
              (typeof v === 'number' && Number.isInteger(v)) ||
              (typeof v === 'string' && /^\d+$/.test(v));
            if (!ok) add(`${where}.${key}`, `${String(v)} is not an ISO 8601 date or epoch time`);
          }
        }
      }
    }
  });
  return problems;
};

/** IAM's StringLike: `*` any run of characters, `?` exactly one, the rest literal, whole value. */
const stringLike = (value: string, pattern: string): boolean =>
  new RegExp(
    `^${[...pattern]
      .map((c) =>
        c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('')}$`,
  ).test(value);

/** The request context of one call made with role credentials. */
export interface RoleSessionRequest {
  /** `aws:SourceIdentity`; absent when the session has none. */
  sourceIdentity?: string;
  /** `aws:TokenIssueTime`. */
  tokenIssueTime: Date;
}

/**
 * Whether an identity-based document explicitly denies a request (IAM: an explicit deny in any
 * policy refuses the request), for the operators a revocation policy uses: StringEquals,
 * StringLike and DateLessThan on aws:SourceIdentity / aws:TokenIssueTime, all ANDed, values ORed;
 * a missing key makes the condition false. Actions and resources are `*` here.
 * @throws Error on any other operator or key (so the test cannot pass by ignoring one).
 */
export const explicitlyDenies = (document: unknown, request: RoleSessionRequest): boolean => {
  const doc = document as { Statement: unknown };
  return asList(doc.Statement).some((raw) => {
    const s = raw as { Effect: string; Condition?: Record<string, Record<string, unknown>> };
    if (s.Effect !== 'Deny') return false;
    return Object.entries(s.Condition ?? {}).every(([operator, block]) =>
      Object.entries(block).every(([key, value]) => {
        const values = asList(value) as string[];
        const k = key.toLowerCase();
        if (k === 'aws:sourceidentity') {
          const si = request.sourceIdentity;
          if (si === undefined) return false;
          if (operator === 'StringEquals') return values.includes(si);
          if (operator === 'StringLike') return values.some((p) => stringLike(si, p));
        }
        if (k === 'aws:tokenissuetime' && operator === 'DateLessThan') {
          return values.some((v) => request.tokenIssueTime.getTime() < Date.parse(v));
        }
        throw new Error(`explicitlyDenies does not model ${operator} ${key}`);
      }),
    );
  });
};
