/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles only (an esbuild alias:
 * infra/cdk/function-bundling.ts). In Lambda the execution role's credentials are always in the
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), which is the first
 * provider of the SDK's default chain and the one it uses there. The rest of that chain (shared
 * ini files, SSO, login, process, web identity, container and instance metadata, with the nested
 * STS and SSO-OIDC clients they bring) is ~90 KiB a cold start would parse and never run.
 * Unbundled code (the local runner, tests) keeps the SDK's full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

type FromEnvInit = Parameters<typeof fromEnv>[0];

/** The SDK's `defaultProvider` signature, answered from the environment only. */
export const defaultProvider = (init: FromEnvInit = {}) => fromEnv(init);

/** The SDK's own predicate (credential-provider-node 3.972): anything with an expiry refreshes. */
export const credentialsWillNeedRefresh = (credentials?: { expiration?: Date }): boolean =>
  credentials?.expiration !== undefined;

/** The SDK's own predicate: a credential with an expiry counts as expired 5 minutes early. */
export const credentialsTreatedAsExpired = (credentials?: { expiration?: Date }): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
