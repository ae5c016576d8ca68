import {
  AssumeRoleWithSAMLCommand,
  type AssumeRoleWithSAMLCommandOutput,
  AssumeRoleWithWebIdentityCommand,
  type AssumeRoleWithWebIdentityCommandOutput,
} from '@aws-sdk/client-sts';
import type { Log } from '../log.js';
import { ALWAYS_ALLOWED_DURATION_SECONDS, clampDuration } from './duration.js';
import {
  isMaxSessionDurationExceeded,
  StsAssumeRoleFailedError,
  type StsOperation,
  translateStsError,
} from './errors.js';
import type {
  AssumeRoleWithSamlInput,
  AssumeRoleWithWebIdentityInput,
  AwsSessionCredentials,
  RoleAssumer,
  StsPort,
} from './types.js';

export interface RoleAssumerDeps {
  sts: StsPort;
  /** Receives one warning when a duration is lowered to 3600 s; never a secret. */
  log?: Pick<Log, 'warn'>;
}

type AssumeOutput = AssumeRoleWithSAMLCommandOutput | AssumeRoleWithWebIdentityCommandOutput;

/** STS's answer → credentials, or a 502 if STS answered 200 without them (never half a grant). */
const mapOutput = (
  out: AssumeOutput,
  operation: StsOperation,
  roleArn: string,
): AwsSessionCredentials => {
  const c = out.Credentials;
  const assumedRoleArn = out.AssumedRoleUser?.Arn;
  if (
    !c?.AccessKeyId ||
    !c.SecretAccessKey ||
    !c.SessionToken ||
    !(c.Expiration instanceof Date) ||
    Number.isNaN(c.Expiration.getTime()) ||
    !assumedRoleArn
  ) {
    throw new StsAssumeRoleFailedError(
      `${operation} for ${roleArn} answered without complete credentials or AssumedRoleUser`,
    );
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
    assumedRoleArn,
    ...(out.SourceIdentity ? { sourceIdentity: out.SourceIdentity } : {}),
    ...(out.PackedPolicySize !== undefined ? { packedPolicySize: out.PackedPolicySize } : {}),
  };
};

/**
 * Creates the STS port: AssumeRoleWithSAML / AssumeRoleWithWebIdentity with fedgate's minted
 * assertion or token, no AWS credentials needed (these operations are unsigned).
 *
 * Durations are clamped into 900..43200 s first. STS then still refuses a duration above the
 * role's MaxSessionDuration (a `ValidationError` "… DurationSeconds exceeds the
 * MaxSessionDuration …") instead of clamping, and fedgate cannot know each role's maximum without
 * IAM read access in every account; so on exactly that error, and only when more than 3600 s was
 * asked, the call is retried **once** at 3600 s, which every role allows (the minimum
 * MaxSessionDuration is 1 h). The same assertion/token is sent again: STS refused the request on
 * a parameter before accepting the assertion. The retry is logged at warn so the operator can
 * lower the grant's duration or raise the role's maximum.
 * @throws `temporarily_unavailable` (503) when STS is throttled, failing, slow or unreachable
 * (the SDK's own retries ran out); `sts_*` (502, {@link StsAssumeRoleFailedError} subclasses,
 * see `translateStsError`) when STS refuses.
 * @example
 * const assumer = createRoleAssumer({ sts: new STSClient({ ...STS_CLIENT_DEFAULTS }), log: logger });
 * const creds = await assumer.assumeRoleWithSaml({ roleArn, principalArn, samlAssertionB64, durationSeconds: 43_200 });
 */
export const createRoleAssumer = ({ sts, log }: RoleAssumerDeps): RoleAssumer => {
  const assume = async (
    operation: StsOperation,
    roleArn: string,
    requestedSeconds: number,
    call: (durationSeconds: number) => Promise<AssumeOutput>,
  ): Promise<AwsSessionCredentials> => {
    const durationSeconds = clampDuration(requestedSeconds);
    let out: AssumeOutput;
    try {
      out = await call(durationSeconds);
    } catch (err) {
      if (!(durationSeconds > ALWAYS_ALLOWED_DURATION_SECONDS && isMaxSessionDurationExceeded(err)))
        throw translateStsError(err, operation, roleArn);
      log?.warn('session duration above the role maximum, retrying at one hour', {
        operation,
        roleArn,
        requestedSeconds: durationSeconds,
        retrySeconds: ALWAYS_ALLOWED_DURATION_SECONDS,
      });
      try {
        out = await call(ALWAYS_ALLOWED_DURATION_SECONDS);
      } catch (retryErr) {
        throw translateStsError(retryErr, operation, roleArn);
      }
    }
    return mapOutput(out, operation, roleArn);
  };

  return {
    assumeRoleWithSaml: (input: AssumeRoleWithSamlInput) =>
      assume('AssumeRoleWithSAML', input.roleArn, input.durationSeconds, (DurationSeconds) =>
        sts.send(
          new AssumeRoleWithSAMLCommand({
            RoleArn: input.roleArn,
            PrincipalArn: input.principalArn,
            SAMLAssertion: input.samlAssertionB64,
            DurationSeconds,
          }),
        ),
      ),
    assumeRoleWithWebIdentity: (input: AssumeRoleWithWebIdentityInput) =>
      assume('AssumeRoleWithWebIdentity', input.roleArn, input.durationSeconds, (DurationSeconds) =>
        sts.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: input.roleArn,
            RoleSessionName: input.roleSessionName,
            WebIdentityToken: input.webIdentityToken,
            DurationSeconds,
          }),
        ),
      ),
  };
};
