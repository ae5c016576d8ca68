import {
  classifyTransientSdkFailure,
  type SdkErrorShape,
  sdkErrorName,
  sdkErrorShape,
} from '../aws-sdk-errors.js';
import { DependencyUnavailableError, GatewayError } from '../http/index.js';

/**
 * STS's errors in the gateway's error model. Each refusal becomes a 502 (not exposed: the person
 * sees a generic `server_error`) whose `description` says what an operator must fix and whose
 * `detail` (in the log line) carries the operation, the role and STS's own code and message.
 * Transient failures (throttling, STS 5xx, timeouts, network) become a 503
 * `temporarily_unavailable` that tells the person to retry. Nothing here ever carries the SAML
 * assertion, the web identity token or credentials: STS does not echo them and we add none.
 */

/** The STS operations fedgate calls. */
export type StsOperation = 'AssumeRoleWithSAML' | 'AssumeRoleWithWebIdentity';

interface StsErrorOptions extends ErrorOptions {
  /** STS's error code as the SDK surfaced it (e.g. `AccessDenied`, `IDPRejectedClaimException`). */
  stsCode?: string;
}

// What an operator must fix, per STS code (with any trailing "Exception" removed).
const DEFAULT_FIX =
  'STS refused or failed the role assumption: see the STS code and message in the detail.';
const FIXES: Readonly<Record<string, string>> = {
  IDPRejectedClaim:
    "STS rejected a claim of fedgate's assertion or token. Check the role's trust policy: its " +
    'SAML:aud condition must equal the Recipient fedgate uses (https://signin.aws.amazon.com/saml ' +
    'or the regional https://<region>.signin.aws.amazon.com/saml), it must allow sts:TagSession ' +
    'when the grant has session tags and sts:SetSourceIdentity when it has a source identity, ' +
    "and the Role attribute's provider ARN must name the IAM provider that holds fedgate's metadata.",
  InvalidIdentityToken:
    "STS could not validate fedgate's assertion or token. For SAML: the IAM SAML provider must " +
    "hold fedgate's current metadata (re-upload it after a key rotation) and its name must match " +
    'the provider ARN in the grant. For web identity: an IAM OIDC provider must be registered for ' +
    "fedgate's issuer URL with fedgate's client id as audience (and a current thumbprint where " +
    'one is still required). Session name and source identity must meet AWS rules.',
  ExpiredToken:
    'STS says the assertion or token had expired when it arrived. Check the clock of the host ' +
    'that mints (NTP), and that nothing delays the STS call after minting (validity is minutes).',
  MalformedPolicyDocument:
    'STS rejected a session policy or session tag as malformed. fedgate passes no session ' +
    "policy, so check the grant's session tag keys and values (charset, length) in the attribute table.",
  PackedPolicyTooLarge:
    'The session tags are too large once STS packs them. Reduce the number of session tags or the ' +
    "length of their keys and values in the rule's grant (the limit is on the packed size and can " +
    'be reached below 50 tags).',
  RegionDisabled:
    "STS is not active in this region for the role's account. Activate the region under IAM " +
    'account settings (Security Token Service endpoints), or run fedgate against another ' +
    'regional STS endpoint.',
  AccessDenied:
    'STS denied the role assumption. The role must exist (names are case-sensitive) and its trust ' +
    'policy must allow sts:AssumeRoleWithSAML (or sts:AssumeRoleWithWebIdentity), sts:TagSession ' +
    "and sts:SetSourceIdentity with fedgate's IAM SAML (or OIDC) provider as the Federated principal.",
  ValidationError:
    "STS refused a request parameter. Check the grant's role ARN and provider ARN, the session " +
    "duration against the role's MaxSessionDuration, and the session tags against AWS's limits.",
};

/**
 * STS refused or failed the role assumption for a reason not listed below (or answered without
 * credentials). The base class of every STS refusal: `instanceof StsAssumeRoleFailedError` holds
 * for all of them. Its `description` says what an operator must fix.
 */
export class StsAssumeRoleFailedError extends GatewayError {
  /** STS's own error code, when STS answered with one. */
  readonly stsCode: string | undefined;
  constructor(detail: string, opts?: StsErrorOptions & { code?: string; fixKey?: string }) {
    super(
      502,
      opts?.code ?? 'sts_assume_role_failed',
      (opts?.fixKey && FIXES[opts.fixKey]) || DEFAULT_FIX,
      { cause: opts?.cause, detail },
    );
    this.stsCode = opts?.stsCode;
  }
}

/** `IDPRejectedClaim` (`sts_idp_rejected_claim`): a claim was refused, usually by the trust policy. */
export class StsIdpRejectedClaimError extends StsAssumeRoleFailedError {
  constructor(detail: string, opts?: StsErrorOptions) {
    super(detail, { ...opts, code: 'sts_idp_rejected_claim', fixKey: 'IDPRejectedClaim' });
  }
}

/** `InvalidIdentityToken` (`sts_invalid_identity_token`): not valid against the IAM provider. */
export class StsInvalidIdentityTokenError extends StsAssumeRoleFailedError {
  constructor(detail: string, opts?: StsErrorOptions) {
    super(detail, {
      ...opts,
      code: 'sts_invalid_identity_token',
      fixKey: 'InvalidIdentityToken',
    });
  }
}

/** `ExpiredToken` (`sts_expired_token`): the assertion/token had expired when STS read it. */
export class StsExpiredTokenError extends StsAssumeRoleFailedError {
  constructor(detail: string, opts?: StsErrorOptions) {
    super(detail, { ...opts, code: 'sts_expired_token', fixKey: 'ExpiredToken' });
  }
}

/** `MalformedPolicyDocument` (`sts_malformed_policy`): a session policy or tag was malformed. */
export class StsMalformedPolicyError extends StsAssumeRoleFailedError {
  constructor(detail: string, opts?: StsErrorOptions) {
    super(detail, { ...opts, code: 'sts_malformed_policy', fixKey: 'MalformedPolicyDocument' });
  }
}

/** `PackedPolicyTooLarge` (`sts_packed_policy_too_large`): session tags exceed the packed size. */
export class StsPackedPolicyTooLargeError extends StsAssumeRoleFailedError {
  constructor(detail: string, opts?: StsErrorOptions) {
    super(detail, {
      ...opts,
      code: 'sts_packed_policy_too_large',
      fixKey: 'PackedPolicyTooLarge',
    });
  }
}

/** `RegionDisabled` (`sts_region_disabled`): STS is not active in the region for the account. */
export class StsRegionDisabledError extends StsAssumeRoleFailedError {
  constructor(detail: string, opts?: StsErrorOptions) {
    super(detail, { ...opts, code: 'sts_region_disabled', fixKey: 'RegionDisabled' });
  }
}

/** `AccessDenied` (`sts_access_denied`): the trust policy refuses (or the role does not exist). */
export class StsAccessDeniedError extends StsAssumeRoleFailedError {
  constructor(detail: string, opts?: StsErrorOptions) {
    super(detail, { ...opts, code: 'sts_access_denied', fixKey: 'AccessDenied' });
  }
}

/** `ValidationError` (`sts_validation_error`): a parameter was refused (ARN, duration, tags). */
export class StsValidationError extends StsAssumeRoleFailedError {
  constructor(detail: string, opts?: StsErrorOptions) {
    super(detail, { ...opts, code: 'sts_validation_error', fixKey: 'ValidationError' });
  }
}

/**
 * `IDPCommunicationError`: STS could not reach fedgate's OIDC issuer to fetch its keys. AWS
 * documents it as often transient and to be retried, so it is a 503 the person may retry; the
 * detail tells the operator what to check if it persists.
 */
export class StsIdpCommunicationError extends DependencyUnavailableError {
  readonly stsCode = 'IDPCommunicationError';
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      'sts',
      `${detail}. If this persists, fedgate's issuer (/.well-known/openid-configuration and its ` +
        'jwks_uri) must be reachable from the internet over HTTPS with a publicly trusted certificate',
      opts,
    );
  }
}

type RefusalCtor = new (detail: string, opts?: StsErrorOptions) => StsAssumeRoleFailedError;

// Keyed by STS's code with any trailing "Exception" removed: the SDK names modelled errors by
// their shape (IDPRejectedClaimException), unmodelled ones by the wire code (AccessDenied).
const REFUSALS: Readonly<Record<string, RefusalCtor>> = {
  IDPRejectedClaim: StsIdpRejectedClaimError,
  InvalidIdentityToken: StsInvalidIdentityTokenError,
  ExpiredToken: StsExpiredTokenError,
  MalformedPolicyDocument: StsMalformedPolicyError,
  PackedPolicyTooLarge: StsPackedPolicyTooLargeError,
  RegionDisabled: StsRegionDisabledError,
  AccessDenied: StsAccessDeniedError,
  ValidationError: StsValidationError,
};

/** STS's message, bounded and on one line (it goes into a log line; STS never echoes secrets). */
const messageOf = (e: SdkErrorShape): string =>
  typeof e.message === 'string' ? e.message.replace(/\p{Cc}+/gu, ' ').slice(0, 300) : '';

/**
 * Whether STS refused the call only because `DurationSeconds` exceeds the role's
 * MaxSessionDuration (a `ValidationError` STS raises instead of clamping).
 */
export const isMaxSessionDurationExceeded = (err: unknown): boolean => {
  const e = sdkErrorShape(err);
  return (
    (e.name === 'ValidationError' || e.name === 'ValidationException') &&
    typeof e.message === 'string' &&
    /DurationSeconds exceeds the MaxSessionDuration/i.test(e.message)
  );
};

/**
 * Translates a failed AssumeRoleWith* call into the gateway's error model.
 * @returns `temporarily_unavailable` (503, DependencyUnavailableError('sts')) for throttling, STS
 * 5xx, timeouts, network failures and `IDPCommunicationError`; otherwise a 502
 * {@link StsAssumeRoleFailedError} subclass: `sts_idp_rejected_claim`, `sts_invalid_identity_token`,
 * `sts_expired_token`, `sts_malformed_policy`, `sts_packed_policy_too_large`,
 * `sts_region_disabled`, `sts_access_denied`, `sts_validation_error`, or `sts_assume_role_failed`.
 * A GatewayError is returned unchanged.
 * @example
 * try { await sts.send(command) } catch (err) { throw translateStsError(err, 'AssumeRoleWithSAML', roleArn) }
 */
export const translateStsError = (
  err: unknown,
  operation: StsOperation,
  roleArn: string,
): GatewayError => {
  if (err instanceof GatewayError) return err;
  const e = sdkErrorShape(err);
  const requestId =
    typeof e.$metadata?.requestId === 'string' ? ` (request id ${e.$metadata.requestId})` : '';
  const opts = { cause: err };
  const where = `${operation} for ${roleArn}`;
  const transient = classifyTransientSdkFailure(err);
  if (transient) {
    // Only an answer from STS (a throttle, a 5xx) has a request id worth quoting to AWS support.
    const answered = transient.kind === 'throttled' || transient.kind === 'server_fault';
    return new DependencyUnavailableError(
      'sts',
      `${where} ${transient.reason}${answered ? requestId : ''}`,
      opts,
    );
  }
  const name = sdkErrorName(err);
  const bare = name.replace(/Exception$/, '');
  const key = bare === 'Validation' ? 'ValidationError' : bare;
  const stated = `${where} refused by STS with ${name}: "${messageOf(e)}"${requestId}`;
  if (key === 'IDPCommunicationError') return new StsIdpCommunicationError(stated, opts);
  const Refusal = REFUSALS[key] ?? StsAssumeRoleFailedError;
  // The log line shows message/detail, not description: the detail says what to fix as well.
  const fix = FIXES[key] ?? DEFAULT_FIX;
  return new Refusal(`${stated}. ${fix}`, { ...opts, stsCode: name });
};
