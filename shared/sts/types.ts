import type { STSClient } from '@aws-sdk/client-sts';

/** The part of an `STSClient` fedgate uses: built once in `functions/`, injected here. */
export type StsPort = Pick<STSClient, 'send'>;

/**
 * Temporary AWS credentials from AssumeRoleWithSAML / AssumeRoleWithWebIdentity. Secret: never
 * logged, never put in a URL except the federation endpoint's server-to-server getSigninToken call.
 */
export interface AwsSessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  /** `arn:aws:sts::<account>:assumed-role/<role name>/<session name>`. */
  assumedRoleArn: string;
  /** The source identity STS recorded for the session, if the assertion/token carried one. */
  sourceIdentity?: string;
  /** Percentage of STS's packed-size limit the session tags (and policies) used. */
  packedPolicySize?: number;
}

/** One AssumeRoleWithSAML call: the assertion fedgate minted for one grant. */
export interface AssumeRoleWithSamlInput {
  roleArn: string;
  /** The IAM SAML provider ARN: the second half of the assertion's `Role` attribute value. */
  principalArn: string;
  /** The whole SAML Response, base64 (≤ 100,000 characters). Secret: never logged. */
  samlAssertionB64: string;
  /** Requested duration; clamped into 900..43200 before the call. */
  durationSeconds: number;
}

/** One AssumeRoleWithWebIdentity call: the ID token fedgate minted for one grant. */
export interface AssumeRoleWithWebIdentityInput {
  roleArn: string;
  /** The JWT (≤ 20,000 characters). Secret: never logged. */
  webIdentityToken: string;
  roleSessionName: string;
  /** Requested duration; clamped into 900..43200 before the call. */
  durationSeconds: number;
}

/** The STS port of the gateway: one method per federation protocol. */
export interface RoleAssumer {
  assumeRoleWithSaml(input: AssumeRoleWithSamlInput): Promise<AwsSessionCredentials>;
  assumeRoleWithWebIdentity(input: AssumeRoleWithWebIdentityInput): Promise<AwsSessionCredentials>;
}
