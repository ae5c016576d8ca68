/**
 * AWS's rules for every value fedgate puts into an assertion or token for STS
 * (ARCHITECTURE.md §6). Checked here, before minting: STS is never the validator.
 */

/** `RoleSessionName` and `SourceIdentity` charset (IAM API reference: `[\w+=,.@-]*`). */
export const SESSION_NAME_CHARSET = /^[A-Za-z0-9_+=,.@-]*$/;
export const SESSION_NAME_MIN = 2;
export const SESSION_NAME_MAX = 64;

export const SOURCE_IDENTITY_MIN = 2;
export const SOURCE_IDENTITY_MAX = 64;

/** Session tag charset (IAM User Guide, "Tagging AWS STS sessions"): `[\p{L}\p{Z}\p{N}_.:/=+\-@]`. */
export const TAG_CHARSET = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const TAG_KEY_MIN = 1;
export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;
export const MAX_SESSION_TAGS = 50;

/** `DurationSeconds`: 900 s up to the role's MaxSessionDuration, at most 12 h. */
export const DURATION_MIN_SECONDS = 900;
export const DURATION_MAX_SECONDS = 43_200;

/** AssumeRoleWithSAML cannot target IAM Identity Center roles. */
const RESERVED_ROLE_PREFIX = 'AWSReservedSSO_';

/** `arn:<partition>:iam::<12 digits>:role/<optional path/><name>`; name ≤ 64, path ≤ 512. */
const ROLE_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/((?:[\x21-\x7e]{1,510}\/)?)([\w+=,.@-]{1,64})$/;

/** Why a value does not satisfy AWS's rules, or `undefined` when it does. */
export type RuleViolation = string | undefined;

/** Checks a `RoleSessionName`: 2–64 characters of `[A-Za-z0-9_+=,.@-]`. */
export const checkSessionName = (value: string): RuleViolation => {
  if (value.length < SESSION_NAME_MIN || value.length > SESSION_NAME_MAX) {
    return `session name must be ${SESSION_NAME_MIN}-${SESSION_NAME_MAX} characters, got ${value.length}`;
  }
  if (!SESSION_NAME_CHARSET.test(value))
    return 'session name has characters outside [A-Za-z0-9_+=,.@-]';
  return undefined;
};

/** Checks a `SourceIdentity`: 2–64 characters of the session-name charset, not starting with `aws:`. */
export const checkSourceIdentity = (value: string): RuleViolation => {
  if (value.length < SOURCE_IDENTITY_MIN || value.length > SOURCE_IDENTITY_MAX) {
    return `source identity must be ${SOURCE_IDENTITY_MIN}-${SOURCE_IDENTITY_MAX} characters, got ${value.length}`;
  }
  if (!SESSION_NAME_CHARSET.test(value))
    return 'source identity has characters outside [A-Za-z0-9_+=,.@-]';
  // The charset has no ':' so "aws:" cannot occur; kept explicit in case the charset ever widens.
  if (value.toLowerCase().startsWith('aws:')) return 'source identity must not start with "aws:"';
  return undefined;
};

/** Checks a session tag key: 1–128 characters of the tag charset, not starting with `aws:`. */
export const checkTagKey = (key: string): RuleViolation => {
  if (key.length < TAG_KEY_MIN || key.length > TAG_KEY_MAX) {
    return `tag key must be ${TAG_KEY_MIN}-${TAG_KEY_MAX} characters, got ${key.length}`;
  }
  if (!TAG_CHARSET.test(key)) return 'tag key has characters outside [\\p{L}\\p{Z}\\p{N}_.:/=+-@]';
  if (key.toLowerCase().startsWith('aws:')) return 'tag key must not start with "aws:"';
  return undefined;
};

/** Checks a session tag value: 0–256 characters of the tag charset. */
export const checkTagValue = (value: string): RuleViolation => {
  if (value.length > TAG_VALUE_MAX)
    return `tag value must be at most ${TAG_VALUE_MAX} characters, got ${value.length}`;
  if (!TAG_CHARSET.test(value))
    return 'tag value has characters outside [\\p{L}\\p{Z}\\p{N}_.:/=+-@]';
  return undefined;
};

/** Checks a session duration in seconds: an integer in 900..43200. */
export const checkDuration = (seconds: number): RuleViolation => {
  if (!Number.isInteger(seconds)) return 'session duration must be a whole number of seconds';
  if (seconds < DURATION_MIN_SECONDS || seconds > DURATION_MAX_SECONDS) {
    return `session duration must be ${DURATION_MIN_SECONDS}-${DURATION_MAX_SECONDS} seconds, got ${seconds}`;
  }
  return undefined;
};

/** The parts of an IAM role ARN. */
export interface RoleArnParts {
  partition: string;
  accountId: string;
  path: string;
  name: string;
}

/**
 * Parses an IAM role ARN, or returns `undefined` when it is not one fedgate can federate into
 * (not a role ARN, an `AWSReservedSSO_*` role, or an ARN with a `,`: see {@link checkRoleArn}).
 */
export const parseRoleArn = (arn: string): RoleArnParts | undefined => {
  const m = ROLE_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, accountId, path, name] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (name.startsWith(RESERVED_ROLE_PREFIX) || arn.includes(',')) return undefined;
  return { partition, accountId, path: `/${path}`, name };
};

/** Checks that a role ARN names an IAM role that AssumeRoleWith* can target. */
export const checkRoleArn = (arn: string): RuleViolation => {
  if (!ROLE_ARN.test(arn)) return 'not an IAM role ARN (arn:aws:iam::<account>:role/<name>)';
  // IAM allows "," in role names and paths, but the SAML Role attribute is "<role ARN>,<provider
  // ARN>": a comma would let one ARN read as another pair (role/Admin,arn:…:saml-provider/x).
  if (arn.includes(',')) {
    return 'role ARN contains ",", which the SAML Role attribute ("<role ARN>,<provider ARN>") cannot carry';
  }
  if (parseRoleArn(arn) === undefined) {
    return 'IAM Identity Center roles (AWSReservedSSO_*) cannot be assumed with SAML or web identity';
  }
  return undefined;
};

/** The session values both minted documents carry (SAML assertion and web identity token). */
export interface SessionValues {
  sessionName: string;
  sourceIdentity?: string | undefined;
  durationSeconds: number;
  tags: readonly { key: string; value: string }[];
  transitiveTagKeys: readonly string[];
}

/**
 * Every AWS rule on a session's values at once, as `field: problem` lines naming fields, never
 * values (safe to log): session name, source identity, duration, at most 50 tags with valid,
 * case-insensitively unique keys and valid values, transitive keys that name tags, once each.
 * The minters run it again right before signing (defence in depth: STS is never the validator).
 * @example checkSessionValues(grant) // [] when everything holds
 */
export const checkSessionValues = (v: SessionValues): string[] => {
  const problems: string[] = [];
  const push = (field: string, problem: RuleViolation) => {
    if (problem) problems.push(`${field}: ${problem}`);
  };
  push('sessionName', checkSessionName(v.sessionName));
  if (v.sourceIdentity !== undefined) push('sourceIdentity', checkSourceIdentity(v.sourceIdentity));
  push('durationSeconds', checkDuration(v.durationSeconds));
  if (v.tags.length > MAX_SESSION_TAGS) {
    problems.push(`tags: ${v.tags.length} session tags, at most ${MAX_SESSION_TAGS}`);
  }
  const keys = new Set<string>();
  v.tags.forEach((tag, i) => {
    push(`tags[${i}].key`, checkTagKey(tag.key));
    push(`tags[${i}].value`, checkTagValue(tag.value));
    // IAM: tag keys are case-insensitively unique within a session.
    if (keys.has(tag.key.toLowerCase())) problems.push(`tags[${i}].key: repeated (ignoring case)`);
    keys.add(tag.key.toLowerCase());
  });
  const tagKeys = new Set(v.tags.map((t) => t.key));
  const transitive = new Set<string>();
  v.transitiveTagKeys.forEach((key, i) => {
    if (!tagKeys.has(key)) problems.push(`transitiveTagKeys[${i}]: not the key of a session tag`);
    if (transitive.has(key.toLowerCase())) problems.push(`transitiveTagKeys[${i}]: repeated`);
    transitive.add(key.toLowerCase());
  });
  return problems;
};
