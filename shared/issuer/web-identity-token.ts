import { createPublicKey, type KeyObject, randomBytes, verify } from 'node:crypto';
import { checkRoleArn, checkSessionValues, parseRoleArn } from '../aws-rules.js';
import type { Grant } from '../mapping/index.js';
import { IssuerMisconfiguredError, MintInvalidValueError, MintTooLargeError } from './errors.js';
import type { Signer, SigningKeys } from './signing-keys.js';

/**
 * What fedgate signs for AssumeRoleWithWebIdentity: a compact JWS (RS256) whose issuer is
 * fedgate's IAM OIDC provider URL, signed with fedgate's key through the async `Signer` port (KMS
 * in AWS). The rules it holds to are ARCHITECTURE.md §6 and SECURITY.md §5; the AWS pages they
 * come from are "Create an OpenID Connect (OIDC) identity provider in IAM", the STS API reference
 * for AssumeRoleWithWebIdentity, and "Passing session tags using AssumeRoleWithWebIdentity".
 */

/** The claim STS reads session tags from. */
export const AWS_TAGS_CLAIM = 'https://aws.amazon.com/tags';

/** The claim STS reads the source identity from. */
export const AWS_SOURCE_IDENTITY_CLAIM = 'https://aws.amazon.com/source_identity';

/** AssumeRoleWithWebIdentity `WebIdentityToken`: at most 20,000 characters. */
export const MAX_WEB_IDENTITY_TOKEN_LENGTH = 20_000;

/**
 * Default lifetime: the token goes from fedgate straight to STS in the same request; five minutes
 * covers clock skew and a retry while a leaked token is soon worthless.
 */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 300;

/** The longest lifetime fedgate signs (a token outliving an hour is not "short exp"). */
export const MAX_TOKEN_LIFETIME_SECONDS = 3600;

/** IAM `CreateOpenIDConnectProvider`: `Url` and every `ClientIDList` entry are 1–255 characters. */
const MAX_ISSUER_LENGTH = 255;
const CLIENT_ID = /^[\x21-\x7e]{1,255}$/;

/**
 * The person part of the `sub`: visible ASCII. It should be opaque (a hash of IdP and subject):
 * CloudTrail logs it.
 */
const PERSON_REF = /^[\x21-\x7e]+$/;

/**
 * STS returns the `sub` as `SubjectFromWebIdentityToken`, documented as 6–255 characters: a longer
 * `sub` cannot be answered, so none is minted.
 */
export const MAX_SUBJECT_LENGTH = 255;

/**
 * Between the role ARN and the person in the `sub`. IAM role names cannot contain it
 * (`[\w+=,.@-]`); role paths can (`\x21-\x7e`), so a role whose path holds it is refused (see
 * {@link checkRoleBindable}).
 */
export const ROLE_SUBJECT_SEPARATOR = '#';

/**
 * Characters a role path must not hold for the `sub` to bind the token to it: the separator, the
 * wildcards of `StringLike` (a trust policy pattern `<role ARN>#*` built from a path holding `*`
 * or `?` would match other roles' tokens), and `$` (policy variables, `${…}`).
 */
const UNBINDABLE_PATH_CHARACTERS = /[#*?$]/;

/**
 * Why a role ARN cannot be bound into a web identity token's `sub`, or `undefined` when it can:
 * not a role ARN fedgate federates into (see mapping's `checkRoleArn`), or a path holding `#`,
 * `*`, `?` or `$` (which would make `<role ARN>#*` match another role's tokens, or hold a policy
 * variable).
 */
export const checkRoleBindable = (roleArn: string): string | undefined => {
  const problem = checkRoleArn(roleArn);
  if (problem) return problem;
  if (UNBINDABLE_PATH_CHARACTERS.test(parseRoleArn(roleArn)?.path ?? '')) {
    return 'the role path holds "#", "*", "?" or "$", which a trust policy cannot bind a token to';
  }
  return undefined;
};

/**
 * The `sub` of a token minted for `roleArn`: `<role ARN>#<person ref>`, e.g.
 * `arn:aws:iam::111111111111:role/fedgate-demo-developer#6734296af948bdeb`. A role's trust policy
 * binds tokens to itself with `StringLike` `<provider>:sub` = {@link roleBoundSubjectPattern}.
 * Values are not checked here (the minter checks them before it signs).
 */
export const buildRoleBoundSubject = (roleArn: string, personRef: string): string =>
  `${roleArn}${ROLE_SUBJECT_SEPARATOR}${personRef}`;

/**
 * The `StringLike` pattern on `<provider>:sub` that admits exactly the tokens minted for
 * `roleArn` (any person): `<role ARN>#*`. Exact because no role ARN fedgate mints for holds `#`,
 * `*` or `?` ({@link checkRoleBindable}): a token for role B matches role A's pattern only if
 * `B#…` starts with `A#`, i.e. B = A.
 * @example roleBoundSubjectPattern('arn:aws:iam::111111111111:role/dev') // 'arn:aws:iam::111111111111:role/dev#*'
 */
export const roleBoundSubjectPattern = (roleArn: string): string =>
  `${roleArn}${ROLE_SUBJECT_SEPARATOR}*`;

/** A JWS `kid` fedgate publishes: visible ASCII (computeKeyId gives 22 base64url characters). */
const KEY_ID = /^[\x21-\x7e]{1,255}$/;

/** RS256 needs an RSA key; AWS and SECURITY.md §5 expect at least 2048 bits. */
const MIN_RSA_BITS = 2048;

/** Hosts for which an `http:` issuer is allowed: the local runner and tests, never a deployment. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/**
 * Why `value` cannot be fedgate's OIDC issuer (or another URL AWS fetches, like the JWKS URI), or
 * `undefined` when it can. IAM takes the provider URL as registered and compares `iss` with it as
 * a string, and STS fetches `<issuer>/.well-known/openid-configuration`, so only one spelling is
 * accepted: `https://host[/path]` exactly as the WHATWG URL parser writes it back (lower-case
 * host, no default port, no user info), without query, fragment, port (IAM: "should not contain a
 * port number") or trailing `/`. `http:` is allowed for 127.0.0.1 and localhost only (any port).
 */
export const checkIssuerUrl = (value: string): string | undefined => {
  if (value.length === 0 || value.length > MAX_ISSUER_LENGTH) {
    return `must be 1-${MAX_ISSUER_LENGTH} characters, got ${value.length}`;
  }
  if (!URL.canParse(value)) return 'not a URL';
  const url = new URL(value);
  const loopback = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !loopback) {
    return 'must be https (http only for 127.0.0.1 and localhost)';
  }
  if (url.port !== '' && !loopback) return 'must not carry a port (IAM OIDC provider URL)';
  if (url.username !== '' || url.password !== '') return 'must not carry user info';
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    return 'must not carry a query or fragment';
  }
  if (value.endsWith('/')) return 'must not end with "/"';
  const canonical = url.origin + (url.pathname === '/' ? '' : url.pathname);
  if (canonical !== value) return `must be written as ${JSON.stringify(canonical)}`;
  return undefined;
};

/**
 * The parts of a Grant that reach the token or the AssumeRoleWithWebIdentity call beside it. The
 * role ARN goes into the `sub` ({@link buildRoleBoundSubject}): the token is bound to that role.
 */
export type WebIdentityGrant = Pick<
  Grant,
  'roleArn' | 'sessionName' | 'sourceIdentity' | 'tags' | 'transitiveTagKeys' | 'durationSeconds'
>;

export interface WebIdentityMinterOptions {
  signingKeys: SigningKeys;
  /**
   * fedgate's public issuer URL, exactly as registered as the IAM OIDC provider (the `iss` of
   * every token, and the base of `/.well-known/openid-configuration`), e.g.
   * `https://sso.example.com`. `http:` only for 127.0.0.1 / localhost.
   */
  issuer: string;
  /** The `aud`: a client id registered in the IAM OIDC provider's ClientIDList. */
  audience: string;
}

export interface WebIdentityMintInput {
  /**
   * A grant from the mapping engine; its values are checked again here all the same, including
   * `sessionName` and `durationSeconds`, which travel beside the token in the STS call.
   */
  grant: WebIdentityGrant;
  /**
   * The person the token is for: opaque and stable (e.g. a hash of IdP and subject), visible
   * ASCII. The `sub` is `<grant.roleArn>#<subject>` ({@link buildRoleBoundSubject}), at most
   * 255 characters in all.
   */
  subject: string;
  /** The current time, epoch **milliseconds** (`Date.now()`); claims are cut to whole seconds. */
  now: number;
  /** Validity from `now`, 1–3600 seconds (default {@link DEFAULT_TOKEN_LIFETIME_SECONDS}). */
  lifetimeSeconds?: number;
}

export interface MintedWebIdentityToken {
  /** The compact JWS: AssumeRoleWithWebIdentity's `WebIdentityToken`. A credential: never log it. */
  token: string;
  /** The `jti` (128 random bits, base64url): safe to log, usable as a replay key. */
  jti: string;
  /** Epoch **milliseconds**: the token's `exp` × 1000. */
  expiresAt: number;
}

export interface WebIdentityMinter {
  /**
   * Mints and signs one web identity token for AssumeRoleWithWebIdentity.
   * @throws mint_invalid_value when a value breaks AWS's rules, or the role cannot be bound into
   *   the `sub` (nothing is signed).
   * @throws mint_too_large when the token would exceed 20,000 characters (nothing is signed).
   * @throws issuer_misconfigured when the active key is not RSA ≥ 2048 bits, its `kid` is not
   *   visible ASCII, or its signature does not verify with its published public key.
   * @throws temporarily_unavailable (or whatever the Signer throws) when the key service fails.
   */
  mint(input: WebIdentityMintInput): Promise<MintedWebIdentityToken>;
}

/** The `https://aws.amazon.com/tags` claim value. */
interface AwsTagsClaim {
  principal_tags: Record<string, [string]>;
  transitive_tag_keys?: string[];
}

/** Epoch milliseconds between 2001 and 5138: catches epoch seconds passed by mistake. */
const isEpochMillis = (n: number): boolean => Number.isFinite(n) && n >= 1e12 && n < 1e14;

const base64url = (json: unknown): string =>
  Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');

/**
 * The JWS Signing Input of a compact JWS (RFC 7515 §5.1): BASE64URL(UTF8(header)) '.'
 * BASE64URL(UTF8(claims)); the signature is over its ASCII bytes. Shared by every JWT fedgate
 * signs through the Signer port (web identity tokens, private_key_jwt client assertions).
 */
export const jwsSigningInput = (header: object, claims: object): string =>
  `${base64url(header)}.${base64url(claims)}`;

/** Every value check, in one place, before anything is built. Problems name fields, not values. */
const checkMintInput = (input: WebIdentityMintInput): string[] => {
  const { grant } = input;
  const problems: string[] = [];
  problems.push(...checkSessionValues(grant));
  const roleProblem = checkRoleBindable(grant.roleArn);
  if (roleProblem) problems.push(`roleArn: ${roleProblem}`);

  if (!PERSON_REF.test(input.subject)) {
    problems.push('subject: must be visible ASCII characters');
  } else if (buildRoleBoundSubject(grant.roleArn, input.subject).length > MAX_SUBJECT_LENGTH) {
    problems.push(
      `subject: "<role ARN>#<subject>" must be at most ${MAX_SUBJECT_LENGTH} characters (STS SubjectFromWebIdentityToken); shorten the role path or name`,
    );
  }
  if (!isEpochMillis(input.now)) problems.push('now: must be epoch milliseconds');
  const lifetime = input.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
    problems.push(`lifetimeSeconds: must be a whole number in 1..${MAX_TOKEN_LIFETIME_SECONDS}`);
  }
  return problems;
};

/** The tags claim, or `undefined` when the grant has no tags (the claim is then omitted). */
const buildTagsClaim = (grant: WebIdentityGrant): AwsTagsClaim | undefined => {
  if (grant.tags.length === 0) return undefined;
  return {
    // Object.fromEntries defines own properties: a tag key "__proto__" (inside AWS's charset)
    // stays a key instead of replacing the prototype and vanishing from the JSON.
    principal_tags: Object.fromEntries(grant.tags.map((t) => [t.key, [t.value]])),
    // Optional in AWS's shape: omitted rather than sent empty.
    ...(grant.transitiveTagKeys.length > 0
      ? { transitive_tag_keys: [...grant.transitiveTagKeys] }
      : {}),
  };
};

/** What the minter needs of the active key beyond `sign`, worked out once per Signer object. */
interface SignerMaterial {
  publicKey: KeyObject;
  /** Length of the base64url RS256 signature: RSASSA-PKCS1-v1_5 signatures are modulus-sized. */
  signatureLength: number;
}

/**
 * Creates the minter of fedgate's web identity tokens for AssumeRoleWithWebIdentity. Options are
 * checked once, here.
 * @throws issuer_misconfigured when the issuer is not an https URL in the one spelling IAM
 *   compares (see {@link checkIssuerUrl}), or the audience is not 1–255 visible ASCII characters.
 * @example
 * const minter = createWebIdentityMinter({ signingKeys, issuer: 'https://sso.example.com', audience: 'sts.amazonaws.com' });
 * const { token, jti, expiresAt } = await minter.mint({ grant, subject: personRef, now: Date.now() });
 * // sub = `${grant.roleArn}#${personRef}`
 * // → sts AssumeRoleWithWebIdentity { RoleArn: grant.roleArn, RoleSessionName: grant.sessionName,
 * //   DurationSeconds: grant.durationSeconds, WebIdentityToken: token }
 */
export const createWebIdentityMinter = (opts: WebIdentityMinterOptions): WebIdentityMinter => {
  const { signingKeys, issuer, audience } = opts;
  const issuerProblem = checkIssuerUrl(issuer);
  if (issuerProblem) throw new IssuerMisconfiguredError(`issuer: ${issuerProblem}`);
  if (!CLIENT_ID.test(audience)) {
    throw new IssuerMisconfiguredError(
      'audience: must be an IAM OIDC client id (1-255 visible ASCII characters)',
    );
  }

  const materials = new WeakMap<Signer, SignerMaterial>();
  const materialOf = (signer: Signer): SignerMaterial => {
    let material = materials.get(signer);
    if (!material) {
      if (typeof signer.kid !== 'string' || !KEY_ID.test(signer.kid)) {
        throw new IssuerMisconfiguredError('active signing key: kid is not visible ASCII');
      }
      let publicKey: KeyObject;
      try {
        publicKey = createPublicKey({ key: signer.publicKeySpki, format: 'der', type: 'spki' });
      } catch (cause) {
        throw new IssuerMisconfiguredError(
          `signing key ${signer.kid}: the public key does not parse`,
          { cause },
        );
      }
      const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
      if (publicKey.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
        throw new IssuerMisconfiguredError(
          `signing key ${signer.kid}: RS256 needs RSA of at least ${MIN_RSA_BITS} bits, got ${publicKey.asymmetricKeyType} ${bits}`,
        );
      }
      material = { publicKey, signatureLength: Math.ceil((Math.ceil(bits / 8) * 4) / 3) };
      materials.set(signer, material);
    }
    return material;
  };

  return {
    mint: async (input) => {
      const problems = checkMintInput(input);
      if (problems.length > 0) throw new MintInvalidValueError(problems.join('; '));
      const { grant } = input;
      const iat = Math.floor(input.now / 1000);
      const exp = iat + (input.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS);
      // 128 random bits: unguessable and unique enough to key a replay cache.
      const jti = randomBytes(16).toString('base64url');

      const signer = await signingKeys.active();
      const material = materialOf(signer);
      const tags = buildTagsClaim(grant);
      const header = { alg: 'RS256', typ: 'JWT', kid: signer.kid };
      const claims = {
        iss: issuer,
        // Bound to the grant's role: its trust policy admits only `<its ARN>#*` (README).
        sub: buildRoleBoundSubject(grant.roleArn, input.subject),
        aud: audience,
        // RFC 7519 §2 NumericDate; AWS wants integers.
        iat,
        // nbf = iat: a token is valid from the moment it is issued, not before.
        nbf: iat,
        exp,
        jti,
        ...(tags ? { [AWS_TAGS_CLAIM]: tags } : {}),
        ...(grant.sourceIdentity !== undefined
          ? { [AWS_SOURCE_IDENTITY_CLAIM]: grant.sourceIdentity }
          : {}),
      };
      const signingInput = jwsSigningInput(header, claims);
      // Known before signing (the signature length is fixed by the key), so an oversized token
      // costs no KMS call and nothing oversized is ever signed.
      const length = signingInput.length + 1 + material.signatureLength;
      if (length > MAX_WEB_IDENTITY_TOKEN_LENGTH) {
        throw new MintTooLargeError(
          `web identity token would be ${length} characters, AWS accepts at most ${MAX_WEB_IDENTITY_TOKEN_LENGTH} (${grant.tags.length} tags)`,
        );
      }

      const signedBytes = Buffer.from(signingInput, 'ascii');
      const signature = await signer.sign(signedBytes);
      // A signer whose signature does not verify with the key it publishes would only fail at STS
      // with an opaque InvalidIdentityToken: fail here, naming the key.
      if (!verify('sha256', signedBytes, material.publicKey, signature)) {
        throw new IssuerMisconfiguredError(
          `signing key ${signer.kid}: signature does not verify with its public key`,
        );
      }
      const token = `${signingInput}.${signature.toString('base64url')}`;
      if (token.length > MAX_WEB_IDENTITY_TOKEN_LENGTH) {
        throw new MintTooLargeError(
          `web identity token is ${token.length} characters, AWS accepts at most ${MAX_WEB_IDENTITY_TOKEN_LENGTH}`,
        );
      }
      return { token, jti, expiresAt: exp * 1000 };
    },
  };
};
