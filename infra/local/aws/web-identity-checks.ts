import { deflateRawSync } from 'node:zlib';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { RoleDirectory } from './local-roles.js';
import { PACKED_TAGS_LIMIT_BYTES } from './saml-checks.js';
import {
  faults,
  ROLE_ARN,
  SESSION_NAME,
  StsFault,
  TAG_CHARS,
  validationError,
} from './sts-wire.js';
import { authorizeByTrustPolicy } from './trust-policy.js';

const MAX_TAGS = 50;
const TAGS_CLAIM = 'https://aws.amazon.com/tags';
const SOURCE_IDENTITY_CLAIM = 'https://aws.amazon.com/source_identity';
/** The algorithms IAM OIDC providers accept for ID tokens. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];
const MAX_DOCUMENT_BYTES = 256 * 1024;

export interface AssumeRoleWithWebIdentityParams {
  roleArn: string;
  roleSessionName: string;
  webIdentityToken: string;
  durationSeconds: number;
}

/** The pretend IAM OIDC provider: the issuer URL it was created with, and its ClientIDList. */
export interface WebIdentityProvider {
  /** e.g. `http://127.0.0.1:8787` (IAM: `https://sso.example.com`). */
  issuer: string;
  audiences: readonly string[];
}

export interface WebIdentityCheckOptions {
  provider: () => WebIdentityProvider;
  /** The pretend IAM's roles (./local-roles.ts): MaxSessionDuration and trust policy. */
  roleFor: RoleDirectory;
  clockSkewMs: number;
  fetch: typeof fetch;
}

/** Everything the session gets after a successful check. */
export interface VerifiedWebIdentitySession {
  partition: string;
  accountId: string;
  roleArn: string;
  roleName: string;
  sessionName: string;
  tags: { key: string; value: string }[];
  transitiveTagKeys: string[];
  sourceIdentity?: string;
  issuer: string;
  subject: string;
  audience: string;
  /** `Provider` in STS's answer: the provider URL without its scheme. */
  provider: string;
  durationSeconds: number;
  packedPolicySize?: number;
}

/** Checks the request parameters the way STS's input validation does (before the token). */
export const parseAssumeRoleWithWebIdentityParams = (
  params: URLSearchParams,
): AssumeRoleWithWebIdentityParams | StsFault => {
  const roleArn = params.get('RoleArn');
  const roleSessionName = params.get('RoleSessionName');
  const webIdentityToken = params.get('WebIdentityToken');
  const duration = params.get('DurationSeconds');
  if (!roleArn) return validationError('roleArn', 'Member must not be null');
  if (!roleSessionName) return validationError('roleSessionName', 'Member must not be null');
  if (!webIdentityToken) return validationError('webIdentityToken', 'Member must not be null');
  if (roleArn.length < 20 || roleArn.length > 2048 || !ROLE_ARN.test(roleArn)) {
    return validationError('roleArn', 'Member must be an IAM role ARN');
  }
  if (!SESSION_NAME.test(roleSessionName)) {
    return validationError(
      'roleSessionName',
      'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  }
  if (webIdentityToken.length < 4 || webIdentityToken.length > 20_000) {
    return validationError(
      'webIdentityToken',
      'Member must have length between 4 and 20000 characters',
    );
  }
  let durationSeconds = 3600;
  if (duration !== null) {
    durationSeconds = Number(duration);
    if (!/^\d+$/.test(duration) || durationSeconds < 900 || durationSeconds > 43_200) {
      return validationError(
        'durationSeconds',
        'Member must have value greater than or equal to 900 and less than or equal to 43200',
      );
    }
  }
  return { roleArn, roleSessionName, webIdentityToken, durationSeconds };
};

const fetchJson = async (url: string, fetchImpl: typeof fetch): Promise<unknown> => {
  try {
    const res = await fetchImpl(url, { redirect: 'error', signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    if (!res.ok || text.length > MAX_DOCUMENT_BYTES) throw new Error(`HTTP ${res.status}`);
    return JSON.parse(text);
  } catch (err) {
    throw new StsFault(
      'IDPCommunicationError',
      `Couldn't retrieve verification key from your identity provider (local stand-in: ${url}: ${(err as Error).message})`,
    );
  }
};

/**
 * What STS does with AssumeRoleWithWebIdentity for a provider created in IAM, as a local stand-in
 * independent of fedgate's code (jose): fetch `<issuer>/.well-known/openid-configuration` and its
 * `jwks_uri` over HTTP, verify the JWS with the key named by `kid` (an allowed asymmetric alg),
 * `iss` = the provider URL, `aud` in its ClientIDList, `exp` not passed, integer `iat`/`exp`,
 * `sub` present, then the role, the source identity and the session tags claim (shape and limits).
 * @throws StsFault with STS's code (InvalidIdentityToken, ExpiredTokenException, IDPCommunicationError,
 * AccessDenied, ValidationError, PackedPolicyTooLarge).
 */
export const checkWebIdentityForAssumeRole = async (
  params: AssumeRoleWithWebIdentityParams,
  options: WebIdentityCheckOptions,
): Promise<VerifiedWebIdentitySession> => {
  const { issuer, audiences } = options.provider();
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(params.webIdentityToken);
  } catch {
    throw faults.invalidIdentityToken('The ID Token provided is not a valid JWT.');
  }
  if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) {
    throw faults.invalidIdentityToken(`Unsupported signing algorithm ${String(header.alg)}`);
  }
  if (typeof header.kid !== 'string' || header.kid === '') {
    throw faults.invalidIdentityToken('The ID Token header carries no kid.');
  }

  const discovery = (await fetchJson(
    `${issuer}/.well-known/openid-configuration`,
    options.fetch,
  )) as {
    issuer?: unknown;
    jwks_uri?: unknown;
  };
  if (discovery.issuer !== issuer || typeof discovery.jwks_uri !== 'string') {
    throw new StsFault(
      'IDPCommunicationError',
      'The OpenID configuration of the provider does not match its URL (local stand-in).',
    );
  }
  const jwks = (await fetchJson(discovery.jwks_uri, options.fetch)) as JSONWebKeySet;
  if (!Array.isArray(jwks.keys) || !jwks.keys.some((k) => k.kid === header.kid)) {
    throw faults.invalidIdentityToken('Unable to find a key in the JWKS matching the token kid.');
  }

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(params.webIdentityToken, createLocalJWKSet(jwks), {
      issuer,
      audience: [...audiences],
      algorithms: ALGORITHMS,
      clockTolerance: Math.floor(options.clockSkewMs / 1000),
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw faults.expiredToken('Token is expired');
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'iss') {
      throw faults.invalidIdentityToken(
        'No OpenIDConnect provider found in your account for the issuer',
      );
    }
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud') {
      throw faults.invalidIdentityToken('Incorrect token audience');
    }
    throw faults.invalidIdentityToken(
      `The ID Token could not be verified (${(err as Error).message})`,
    );
  }
  for (const claim of ['iat', 'exp', 'nbf']) {
    if (payload[claim] !== undefined && !Number.isInteger(payload[claim])) {
      throw faults.invalidIdentityToken(`The ${claim} claim must be an integer`);
    }
  }
  const subject = payload.sub as string;
  const audience = (Array.isArray(payload.aud) ? payload.aud[0] : payload.aud) as string;

  const [, partition = 'aws', accountId = '', roleName = ''] = ROLE_ARN.exec(params.roleArn) ?? [];
  const known = options.roleFor(params.roleArn);
  if (known === undefined || roleName.startsWith('AWSReservedSSO_')) {
    throw faults.accessDenied('Not authorized to perform sts:AssumeRoleWithWebIdentity');
  }
  // The role's trust policy, evaluated as IAM does: the call comes through the OIDC provider of
  // the role's account named by the issuer's host, with the token's claims as `<host>:<claim>`.
  const provider = issuer.replace(/^https?:\/\//, '');
  const trustContext: Record<string, string | string[]> = {
    [`${provider}:sub`]: subject,
    [`${provider}:aud`]: audience,
    'sts:RoleSessionName': params.roleSessionName,
  };
  const authorize = (action: string, extra: Record<string, string | string[]> = {}) =>
    authorizeByTrustPolicy(known.trust, {
      action,
      federatedPrincipal: `arn:${partition}:iam::${accountId}:oidc-provider/${provider}`,
      context: { ...trustContext, ...extra },
    });
  authorize('sts:AssumeRoleWithWebIdentity');

  const sourceIdentity = payload[SOURCE_IDENTITY_CLAIM];
  if (
    sourceIdentity !== undefined &&
    (typeof sourceIdentity !== 'string' ||
      !SESSION_NAME.test(sourceIdentity) ||
      sourceIdentity.toLowerCase().startsWith('aws:'))
  ) {
    throw faults.invalidIdentityToken(
      'Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"',
    );
  }
  if (typeof sourceIdentity === 'string') {
    authorize('sts:SetSourceIdentity', { 'sts:SourceIdentity': sourceIdentity });
  }

  const tags: { key: string; value: string }[] = [];
  let transitiveTagKeys: string[] = [];
  const tagsClaim = payload[TAGS_CLAIM];
  if (tagsClaim !== undefined) {
    const shape = tagsClaim as { principal_tags?: unknown; transitive_tag_keys?: unknown };
    if (
      typeof tagsClaim !== 'object' ||
      tagsClaim === null ||
      typeof shape.principal_tags !== 'object' ||
      shape.principal_tags === null ||
      Array.isArray(shape.principal_tags) ||
      (shape.transitive_tag_keys !== undefined &&
        (!Array.isArray(shape.transitive_tag_keys) ||
          !shape.transitive_tag_keys.every((k) => typeof k === 'string')))
    ) {
      throw faults.invalidIdentityToken('The session tags claim is malformed');
    }
    const seen = new Set<string>();
    for (const [key, values] of Object.entries(shape.principal_tags)) {
      if (!Array.isArray(values) || values.length !== 1 || typeof values[0] !== 'string') {
        throw faults.validation(`Unable to validate tags: tag ${key} must have exactly one value`);
      }
      const value = values[0];
      if (
        key.length < 1 ||
        key.length > 128 ||
        !TAG_CHARS.test(key) ||
        key.toLowerCase().startsWith('aws:')
      ) {
        throw faults.validation(
          'Unable to validate tags: a tag key is empty, too long or has invalid characters',
        );
      }
      if (value.length > 256 || !TAG_CHARS.test(value)) {
        throw faults.validation(
          `Unable to validate tags: the value of tag ${key} is too long or has invalid characters`,
        );
      }
      if (seen.has(key.toLowerCase())) {
        throw faults.validation(
          'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
        );
      }
      seen.add(key.toLowerCase());
      tags.push({ key, value });
    }
    if (tags.length > MAX_TAGS) {
      throw validationError('tags', `Member must have length less than or equal to ${MAX_TAGS}`);
    }
    transitiveTagKeys = (shape.transitive_tag_keys as string[] | undefined) ?? [];
    for (const key of transitiveTagKeys) {
      if (!seen.has(key.toLowerCase())) {
        throw faults.validation(
          `Unable to validate tags: transitive tag key ${key} is not a session tag`,
        );
      }
    }
  }
  let packedPolicySize: number | undefined;
  if (tags.length > 0) {
    authorize('sts:TagSession', {
      ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.key}`, t.value])),
      'aws:TagKeys': tags.map((t) => t.key),
      ...(transitiveTagKeys.length > 0 ? { 'sts:TransitiveTagKeys': transitiveTagKeys } : {}),
    });
    const packed = deflateRawSync(
      Buffer.from(JSON.stringify([tags.map((t) => [t.key, t.value]), transitiveTagKeys])),
    ).length;
    packedPolicySize = Math.ceil((packed * 100) / PACKED_TAGS_LIMIT_BYTES);
    if (packedPolicySize > 100) {
      throw faults.packedPolicyTooLarge(
        `Packed size of session tags consumes ${packedPolicySize}% of allotted space.`,
      );
    }
  }
  if (params.durationSeconds > known.maxSessionDurationSeconds) {
    throw faults.validation(
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }
  return {
    partition,
    accountId,
    roleArn: params.roleArn,
    roleName,
    sessionName: params.roleSessionName,
    tags,
    transitiveTagKeys,
    ...(typeof sourceIdentity === 'string' ? { sourceIdentity } : {}),
    issuer,
    subject,
    audience,
    provider,
    durationSeconds: params.durationSeconds,
    ...(packedPolicySize !== undefined ? { packedPolicySize } : {}),
  };
};
