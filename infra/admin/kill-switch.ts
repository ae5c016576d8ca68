import { checkSourceIdentity } from '../../shared/aws-rules.js';
import { IdpIdSchema } from '../../shared/config/index.js';
import { CliFailure } from './errors.js';

/**
 * The kill switch for live AWS sessions, the IAM side: the document of the fedgate-managed policy
 * `fedgate-session-revocations`, which every role of fedgate's target-account stack carries as its
 * permissions boundary (infra/cdk/README.md, "Revoking live sessions"). STS cannot recall issued
 * credentials, but IAM evaluates this document on every request those credentials make: a `Deny`
 * on `aws:SourceIdentity` (which AWS keeps through role chaining) and `aws:TokenIssueTime` refuses
 * every session of that person (or IdP, or everyone) issued before a moment, and nothing issued
 * after it. Pure: the adapter (./kill-switch-aws.ts) reads and writes the document.
 */

/** The managed policy's name (path `/`) in every target account. */
export const REVOCATION_POLICY_NAME = 'fedgate-session-revocations';
/** The role operators assume to change it (it may do nothing else). */
export const REVOCATION_WRITER_ROLE_NAME = 'fedgate-revocation-writer';

/** `arn:<partition>:iam::<account>:policy/fedgate-session-revocations`. */
export const revocationPolicyArn = (partition: string, account: string): string =>
  `arn:${partition}:iam::${account}:policy/${REVOCATION_POLICY_NAME}`;
/** `arn:<partition>:iam::<account>:role/fedgate-revocation-writer`. */
export const revocationWriterRoleArn = (partition: string, account: string): string =>
  `arn:${partition}:iam::${account}:role/${REVOCATION_WRITER_ROLE_NAME}`;

/** IAM: a customer managed policy is at most 6,144 characters, whitespace not counted. */
export const MAX_MANAGED_POLICY_CHARACTERS = 6144;
/** STS: no role session lasts longer than 12 hours (DurationSeconds ≤ 43,200). */
export const MAX_SESSION_SECONDS = 43_200;
/**
 * How long a revocation outlives the longest session it can concern: covers a clock on the
 * operator's machine that runs ahead of AWS's. After issuedBefore + 12 h + this, no credential
 * issued before issuedBefore can still be live, so the statement is dropped.
 */
export const REVOCATION_MARGIN_SECONDS = 3600;
/** A revocation dated further ahead than this is a clock or time-zone mistake, not an intent. */
export const MAX_FUTURE_SKEW_SECONDS = 300;

/**
 * The statement every document starts with. As a permissions boundary it grants nothing (a
 * boundary only caps what the role's own policies allow), so the writer role, which may write any
 * document here, can restrict fedgate's roles but never widen them.
 */
export const BOUNDARY_STATEMENT = {
  Sid: 'FedgateRolePermissions',
  Effect: 'Allow',
  Action: '*',
  Resource: '*',
} as const;

/** Whom a revocation concerns, by the SourceIdentity fedgate set on their sessions. */
export type RevocationScope =
  /** These SourceIdentity values exactly (`<idp>.<subject ref>` by default). */
  | { kind: 'subject'; sourceIdentities: readonly string[] }
  /** Every SourceIdentity of an IdP: `<idp>.*`. */
  | { kind: 'idp'; idp: string }
  /** Every session of every role carrying the policy. */
  | { kind: 'all' };

export interface Revocation {
  scope: RevocationScope;
  /** Sessions issued before this moment are refused (rounded up to the next whole second). */
  issuedBefore: Date;
}

/** An IAM policy statement as this document holds them. */
export interface RevocationPolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: '*';
  Resource: '*';
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface RevocationPolicyDocument {
  Version: '2012-10-17';
  Statement: RevocationPolicyStatement[];
}

/** The document a fresh stack deploys: the boundary statement alone (no revocation). */
export const INITIAL_REVOCATION_POLICY: RevocationPolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ ...BOUNDARY_STATEMENT }],
};

/** The revocations a document holds: scope key → issuedBefore in epoch seconds. */
type Revocations = Map<string, number>;

const SOURCE_IDENTITY = 'aws:SourceIdentity';
const TOKEN_ISSUE_TIME = 'aws:TokenIssueTime';
const ALL = 'all';
const idpKey = (idp: string) => `idp:${idp}`;
const subjectKey = (sourceIdentity: string) => `subject:${sourceIdentity}`;

const refuse = (code: string, message: string): never => {
  throw new CliFailure(code, message);
};

/** ISO 8601 in UTC with whole seconds, as IAM's date condition operators take it. */
const isoSeconds = (epochSeconds: number): string =>
  `${new Date(epochSeconds * 1000).toISOString().slice(0, 19)}Z`;
/** The compact form for a Sid (`[A-Za-z0-9]` only): 20260301T120000Z. */
const sidTime = (epochSeconds: number): string => isoSeconds(epochSeconds).replace(/[-:]/g, '');

const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const parseIsoSeconds = (value: unknown): number | undefined => {
  if (typeof value !== 'string' || !ISO_SECONDS.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) || isoSeconds(ms / 1000) !== value ? undefined : ms / 1000;
};

/** Checks a revocation and gives its scope keys and its moment (whole seconds, rounded up). */
const readRevocation = (revocation: Revocation, now: Date): { keys: string[]; at: number } => {
  const ms = revocation.issuedBefore?.getTime?.();
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    return refuse('revocation_invalid', 'issuedBefore must be a valid date');
  }
  // Rounded up: a session issued in the same second as the revocation is refused too, rather
  // than one issued a moment before it slipping through.
  const at = Math.ceil(ms / 1000);
  if (at > now.getTime() / 1000 + MAX_FUTURE_SKEW_SECONDS) {
    return refuse(
      'revocation_invalid',
      `issuedBefore ${isoSeconds(at)} is more than ${MAX_FUTURE_SKEW_SECONDS} s in the future: check the clock and time zone`,
    );
  }
  const { scope } = revocation;
  switch (scope.kind) {
    case 'all':
      return { keys: [ALL], at };
    case 'idp':
      // IdP ids are [a-z0-9-]: no StringLike wildcard can hide in `<idp>.*`.
      if (!IdpIdSchema.safeParse(scope.idp).success) {
        return refuse('revocation_invalid', `not an IdP id: ${JSON.stringify(scope.idp)}`);
      }
      return { keys: [idpKey(scope.idp)], at };
    case 'subject': {
      if (scope.sourceIdentities.length === 0) {
        return refuse('revocation_invalid', 'name at least one SourceIdentity');
      }
      for (const value of scope.sourceIdentities) {
        const problem = checkSourceIdentity(value);
        if (problem) {
          return refuse(
            'revocation_invalid',
            `SourceIdentity ${JSON.stringify(value)}: ${problem}`,
          );
        }
      }
      return { keys: scope.sourceIdentities.map(subjectKey), at };
    }
    default:
      return refuse('revocation_invalid', 'scope.kind must be subject, idp or all');
  }
};

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const unrecognized = (why: string): never =>
  refuse(
    'revocation_policy_unrecognized',
    `the ${REVOCATION_POLICY_NAME} policy holds something fedgate did not write (${why}); it is left as it is: fix it by hand first`,
  );

/**
 * Reads the revocations out of a document fedgate wrote (or the stack's initial one). Anything
 * else — a statement of another shape, an unknown key — is refused rather than dropped: the next
 * version would silently lose it.
 */
const parseRevocations = (document: unknown): Revocations => {
  const revocations: Revocations = new Map();
  const doc = document as { Version?: unknown; Statement?: unknown } | null;
  if (typeof doc !== 'object' || doc === null || doc.Version !== '2012-10-17') {
    return unrecognized('not a 2012-10-17 policy document');
  }
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  let boundary = false;
  for (const raw of statements) {
    const s = raw as Partial<RevocationPolicyStatement> & Record<string, unknown>;
    if (sameJson(s, BOUNDARY_STATEMENT)) {
      boundary = true;
      continue;
    }
    const { Sid: _sid, Condition, ...rest } = s;
    if (!sameJson(rest, { Effect: 'Deny', Action: '*', Resource: '*' })) {
      return unrecognized(`statement ${String(s.Sid)}`);
    }
    const operators = Object.keys(Condition ?? {}).sort();
    const at = parseIsoSeconds(Condition?.DateLessThan?.[TOKEN_ISSUE_TIME]);
    if (at === undefined || Object.keys(Condition?.DateLessThan ?? {}).length !== 1) {
      return unrecognized(`statement ${String(s.Sid)}: no DateLessThan ${TOKEN_ISSUE_TIME}`);
    }
    const keys: string[] = [];
    const values = (operator: string): string[] => {
      const block = Condition?.[operator] ?? {};
      const v = block[SOURCE_IDENTITY];
      if (Object.keys(block).length !== 1 || v === undefined) {
        return unrecognized(`statement ${String(s.Sid)}: ${operator}`);
      }
      return Array.isArray(v) ? v : [v];
    };
    if (sameJson(operators, ['DateLessThan'])) keys.push(ALL);
    else if (sameJson(operators, ['DateLessThan', 'StringLike'])) {
      for (const pattern of values('StringLike')) {
        const idp = pattern.endsWith('.*') ? pattern.slice(0, -2) : '';
        if (!IdpIdSchema.safeParse(idp).success) return unrecognized(`pattern ${pattern}`);
        keys.push(idpKey(idp));
      }
    } else if (sameJson(operators, ['DateLessThan', 'StringEquals'])) {
      for (const value of values('StringEquals')) {
        if (checkSourceIdentity(value)) return unrecognized(`SourceIdentity ${value}`);
        keys.push(subjectKey(value));
      }
    } else return unrecognized(`statement ${String(s.Sid)}: conditions ${operators.join(', ')}`);
    for (const key of keys) revocations.set(key, Math.max(revocations.get(key) ?? 0, at));
  }
  if (!boundary) return unrecognized(`no ${BOUNDARY_STATEMENT.Sid} statement`);
  return revocations;
};

/**
 * Drops what can no longer matter: revocations older than the longest session (plus margin), and
 * narrower ones a broader revocation already covers from as late a moment (an IdP's covers its
 * `<idp>.…` subjects, `all` covers everything).
 */
const prune = (revocations: Revocations, now: Date): Revocations => {
  const horizon =
    Math.floor(now.getTime() / 1000) - MAX_SESSION_SECONDS - REVOCATION_MARGIN_SECONDS;
  const all = revocations.get(ALL) ?? 0;
  const kept: Revocations = new Map();
  for (const [key, at] of revocations) {
    if (at <= horizon) continue;
    if (key !== ALL && all >= at) continue;
    if (key.startsWith('subject:')) {
      const sourceIdentity = key.slice('subject:'.length);
      const dot = sourceIdentity.indexOf('.');
      const idp = dot > 0 ? (revocations.get(idpKey(sourceIdentity.slice(0, dot))) ?? 0) : 0;
      if (idp >= at) continue;
    }
    kept.set(key, at);
  }
  return kept;
};

/** The document for a set of revocations: deterministic (sorted), one statement per kind and moment. */
const buildDocument = (revocations: Revocations): RevocationPolicyDocument => {
  const groups = new Map<
    string,
    { kind: 'all' | 'idp' | 'subject'; at: number; values: string[] }
  >();
  for (const [key, at] of revocations) {
    const kind = key === ALL ? 'all' : key.startsWith('idp:') ? 'idp' : 'subject';
    const group = groups.get(`${kind}@${at}`) ?? { kind, at, values: [] };
    if (kind === 'idp') group.values.push(`${key.slice('idp:'.length)}.*`);
    if (kind === 'subject') group.values.push(key.slice('subject:'.length));
    groups.set(`${kind}@${at}`, group);
  }
  const order = { all: 0, idp: 1, subject: 2 };
  const statements = [...groups.values()]
    .sort((a, b) => order[a.kind] - order[b.kind] || a.at - b.at)
    .map((g): RevocationPolicyStatement => {
      const before = { DateLessThan: { [TOKEN_ISSUE_TIME]: isoSeconds(g.at) } };
      const values = [...g.values].sort();
      const which = values.length === 1 ? (values[0] as string) : values;
      const name = {
        all: 'RevokeAllIssuedBefore',
        idp: 'RevokeIdpsIssuedBefore',
        subject: 'RevokeSubjectsIssuedBefore',
      }[g.kind];
      return {
        Sid: `${name}${sidTime(g.at)}`,
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition:
          g.kind === 'all'
            ? before
            : g.kind === 'idp'
              ? { ...before, StringLike: { [SOURCE_IDENTITY]: which } }
              : { ...before, StringEquals: { [SOURCE_IDENTITY]: which } },
      };
    });
  return { Version: '2012-10-17', Statement: [{ ...BOUNDARY_STATEMENT }, ...statements] };
};

const OPERATOR_KEYS: Readonly<Record<string, string>> = {
  DateLessThan: TOKEN_ISSUE_TIME,
  StringEquals: SOURCE_IDENTITY,
  StringLike: SOURCE_IDENTITY,
};

/**
 * IAM's grammar, checked on every document before it is returned (defence in depth: the builder
 * only makes these shapes from checked inputs): Sids of `[A-Za-z0-9]`, unique; only the
 * operators and keys used here, which exist (`DateLessThan` on the date key
 * `aws:TokenIssueTime`, `StringEquals` / `StringLike` on the string key `aws:SourceIdentity`);
 * dates in ISO 8601 (UTC, whole seconds).
 * @throws CliFailure revocation_policy_invalid naming the statement.
 */
export const checkRevocationPolicyGrammar = (
  document: RevocationPolicyDocument,
): RevocationPolicyDocument => {
  const sids = new Set<string>();
  for (const statement of document.Statement) {
    if (!/^[A-Za-z0-9]+$/.test(statement.Sid) || sids.has(statement.Sid)) {
      refuse('revocation_policy_invalid', `Sid ${statement.Sid}: [A-Za-z0-9], unique`);
    }
    sids.add(statement.Sid);
    for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
      const keys = Object.keys(block);
      if (keys.length !== 1 || keys[0] !== OPERATOR_KEYS[operator]) {
        refuse('revocation_policy_invalid', `${statement.Sid}: ${operator} ${keys.join(', ')}`);
      }
      if (operator === 'DateLessThan' && parseIsoSeconds(block[TOKEN_ISSUE_TIME]) === undefined) {
        refuse('revocation_policy_invalid', `${statement.Sid}: not an ISO 8601 date`);
      }
    }
  }
  return document;
};

/** Characters IAM counts against the managed-policy limit: the JSON without whitespace. */
export const policySize = (document: RevocationPolicyDocument): number =>
  JSON.stringify(document).replace(/\s/g, '').length;

const checkSize = (document: RevocationPolicyDocument): RevocationPolicyDocument => {
  const size = policySize(document);
  if (size > MAX_MANAGED_POLICY_CHARACTERS) {
    refuse(
      'revocation_policy_too_large',
      `the ${REVOCATION_POLICY_NAME} policy would be ${size} characters, IAM allows ${MAX_MANAGED_POLICY_CHARACTERS}: revoke the IdP (or all) instead of that many people, or wait until older revocations expire (12 h after they were made)`,
    );
  }
  return document;
};

/**
 * The next version of the revocation policy: `current` with `revocation` merged in. Revocations of
 * the same scope keep the latest `issuedBefore`; ones no live credential can concern any more
 * (older than 12 h + {@link REVOCATION_MARGIN_SECONDS}) or covered by a broader one are dropped;
 * the result is sorted, so the same revocations always give the same document. Each statement is
 * `Deny` `*` on `*` when `aws:TokenIssueTime` is before the moment (`DateLessThan`), for
 * `aws:SourceIdentity` values (`StringEquals`), an IdP's (`StringLike` `<idp>.*`) or everyone.
 * @throws CliFailure revocation_invalid (a bad scope, SourceIdentity or date),
 *   revocation_policy_unrecognized (`current` holds what fedgate did not write),
 *   revocation_policy_too_large (over IAM's 6,144 characters), revocation_policy_invalid (a
 *   statement breaking IAM's grammar: a bug, never written).
 * @example
 * const next = buildRevocationPolicy(current, { scope: { kind: 'idp', idp: 'okta' }, issuedBefore: new Date() }, new Date());
 */
export const buildRevocationPolicy = (
  current: unknown,
  revocation: Revocation,
  now: Date,
): RevocationPolicyDocument => mergeRevocationPolicies([current], now, [revocation]);

/**
 * Merges several versions of the policy (what concurrent writers each wrote) and any further
 * revocations into one document, by the rules of {@link buildRevocationPolicy}.
 * @throws CliFailure as {@link buildRevocationPolicy}.
 */
export const mergeRevocationPolicies = (
  documents: readonly unknown[],
  now: Date,
  revocations: readonly Revocation[] = [],
): RevocationPolicyDocument => {
  const merged: Revocations = new Map();
  const add = (key: string, at: number) => merged.set(key, Math.max(merged.get(key) ?? 0, at));
  for (const document of documents) {
    for (const [key, at] of parseRevocations(document)) add(key, at);
  }
  for (const revocation of revocations) {
    const { keys, at } = readRevocation(revocation, now);
    for (const key of keys) add(key, at);
  }
  return checkSize(checkRevocationPolicyGrammar(buildDocument(prune(merged, now))));
};

/**
 * Whether `document` already denies everything `revocation` would (the same scope from as late a
 * moment, or a broader one): then there is nothing to write. The adapter also checks with it that
 * the version it wrote, read back, holds the revocation.
 * @throws CliFailure as {@link buildRevocationPolicy}.
 */
export const coversRevocation = (document: unknown, revocation: Revocation, now: Date): boolean =>
  sameJson(
    mergeRevocationPolicies([document], now, [revocation]),
    mergeRevocationPolicies([document], now),
  );
