import { defaultTrustPolicy, type LocalProviders, type LocalRole } from '../aws/index.js';

/** The roles the demo gateway config grants (infra/local/demo-config.yaml), in two accounts. */
export const DEMO_ROLE_ARNS = {
  sandboxDeveloper: 'arn:aws:iam::111111111111:role/fedgate-demo-developer',
  productionAdmin: 'arn:aws:iam::222222222222:role/fedgate-demo-admin',
  productionReadonly: 'arn:aws:iam::222222222222:role/fedgate-demo-readonly',
} as const;

/**
 * The demo roles as the local STS stand-in's pretend IAM holds them: exactly the three roles the
 * demo config grants (any other role is AccessDenied, as in a real account), each with the trust
 * policy fedgate's target-account stack writes: SAML through the `fedgate` SAML provider with
 * `SAML:aud` an AWS sign-in endpoint, web identity through the runner's OIDC provider with `aud`
 * pinned and `sub` bound to the role (`<role ARN>#*`), `sts:TagSession` and
 * `sts:SetSourceIdentity`. So a token minted for the sandbox developer cannot open the production
 * admin role here either.
 */
export const demoRoles = (providers: LocalProviders): Record<string, LocalRole> => {
  const role = (roleArn: string, maxSessionDurationSeconds: number): [string, LocalRole] => [
    roleArn,
    {
      maxSessionDurationSeconds,
      trustPolicy: defaultTrustPolicy({
        roleArn,
        samlProviderName: providers.samlProviderName,
        oidcProviderHost: providers.oidcProviderHost,
        audiences: providers.webIdentityAudiences,
      }),
    },
  ];
  return Object.fromEntries([
    // The developer grant asks for 8 hours.
    role(DEMO_ROLE_ARNS.sandboxDeveloper, 43_200),
    // Production: an hour, what the grants ask for.
    role(DEMO_ROLE_ARNS.productionAdmin, 3600),
    role(DEMO_ROLE_ARNS.productionReadonly, 3600),
  ]);
};
