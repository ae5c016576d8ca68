import {
  defaultTrustPolicy,
  parseTrustPolicy,
  type TrustPolicy,
  type TrustPolicyDocument,
} from './trust-policy.js';

/** A role as the stand-in's pretend IAM knows it. */
export interface LocalRole {
  /** The role's MaxSessionDuration (3600–43200; default 43200). */
  maxSessionDurationSeconds?: number;
  /**
   * The role's trust policy (IAM JSON, object or text; ./trust-policy.ts says what is modelled).
   * Absent: the policy fedgate's target-account stack writes ({@link defaultTrustPolicy}), with
   * `sts:TagSession` / `sts:SetSourceIdentity` as the two switches below say.
   */
  trustPolicy?: TrustPolicyDocument | string;
  /** Default trust policy only: allow sts:TagSession (default true). */
  allowTagSession?: boolean;
  /** Default trust policy only: allow sts:SetSourceIdentity (default true). */
  allowSetSourceIdentity?: boolean;
}

/** The pretend IAM providers every role's trust policy can name (the same in every account). */
export interface LocalProviders {
  /** `arn:aws:iam::<acct>:saml-provider/<samlProviderName>`. */
  samlProviderName: string;
  /** `arn:aws:iam::<acct>:oidc-provider/<oidcProviderHost>`: fedgate's issuer without scheme. */
  oidcProviderHost: string;
  /** The OIDC provider's client ids. */
  webIdentityAudiences: readonly string[];
}

/**
 * The roles the pretend IAM knows, by ARN: a record, or a function of the providers (a trust
 * policy names the OIDC provider by the runner's host, known only once it listens).
 */
export type LocalRoles =
  | Readonly<Record<string, LocalRole>>
  | ((providers: LocalProviders) => Readonly<Record<string, LocalRole>>);

/** A role ready for the checks: its maximum session and its parsed trust policy. */
export interface KnownRole {
  maxSessionDurationSeconds: number;
  trust: TrustPolicy;
}

/** Looks a role up by ARN; `undefined` when the pretend IAM has no such role. */
export type RoleDirectory = (roleArn: string) => KnownRole | undefined;

const known = (roleArn: string, role: LocalRole, providers: LocalProviders): KnownRole => {
  if (
    role.trustPolicy !== undefined &&
    (role.allowTagSession !== undefined || role.allowSetSourceIdentity !== undefined)
  ) {
    throw new Error(
      `local role ${roleArn}: allowTagSession / allowSetSourceIdentity shape the default trust policy; with trustPolicy, say it there`,
    );
  }
  let trust: TrustPolicy;
  try {
    trust = parseTrustPolicy(
      role.trustPolicy ??
        defaultTrustPolicy({
          roleArn,
          samlProviderName: providers.samlProviderName,
          oidcProviderHost: providers.oidcProviderHost,
          audiences: providers.webIdentityAudiences,
          ...(role.allowTagSession !== undefined ? { allowTagSession: role.allowTagSession } : {}),
          ...(role.allowSetSourceIdentity !== undefined
            ? { allowSetSourceIdentity: role.allowSetSourceIdentity }
            : {}),
        }),
    );
  } catch (err) {
    throw new Error(`local role ${roleArn}: trust policy: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return { maxSessionDurationSeconds: role.maxSessionDurationSeconds ?? 43_200, trust };
};

/**
 * Builds the pretend IAM's role directory. With `roles` absent every well-formed role exists,
 * allows 12 h and has fedgate's default trust policy; otherwise exactly the listed roles exist.
 * Every trust policy is parsed here, so a policy the stand-in cannot model fails at start.
 * @throws Error naming the role and the construct the stand-in does not model.
 */
export const createRoleDirectory = (
  roles: LocalRoles | undefined,
  providers: LocalProviders,
): RoleDirectory => {
  // Built per call (microseconds): no map growing with every ARN a long-running runner is asked for.
  if (roles === undefined) return (roleArn) => known(roleArn, {}, providers);
  const listed = typeof roles === 'function' ? roles(providers) : roles;
  const directory = new Map(
    Object.entries(listed).map(([arn, role]) => [arn, known(arn, role, providers)] as const),
  );
  return (roleArn) => directory.get(roleArn);
};
