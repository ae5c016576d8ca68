import type { STSClientConfig } from '@aws-sdk/client-sts';

/**
 * Client settings for whoever builds the STS client (functions/, infra/): fail fast instead of
 * holding a sign-in open. The SDK's defaults have no socket timeout and its `requestTimeout` only
 * logs a warning unless `throwOnRequestTimeout` is set; an STS that accepts a connection and never
 * answers would hang the function until Lambda kills it, instead of giving the person a 503
 * (`temporarily_unavailable`) to retry. Three attempts let the SDK's standard retry strategy ride
 * out STS throttling (`Throttling`) with backoff before fedgate gives up.
 *
 * Regional endpoints: SDK v3 calls the regional endpoint of the client's region
 * (`https://sts.<region>.amazonaws.com`) by default, never the legacy global
 * `sts.amazonaws.com`, so nothing needs configuring here; deploy fedgate in a region where STS is
 * active for the target accounts (otherwise STS answers `RegionDisabledException`). Locally,
 * `AWS_ENDPOINT_URL_STS` points the same client at the STS stand-in. See
 * {@link regionalStsEndpoint} for the URL a region resolves to.
 * @example
 * const sts = new STSClient({ ...STS_CLIENT_DEFAULTS });
 */
export const STS_CLIENT_DEFAULTS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
} as const satisfies STSClientConfig;

/**
 * The regional STS endpoint SDK v3 resolves for a region (documentation and diagnostics only:
 * never pass it to the client, which resolves it itself, FIPS and dual-stack variants included).
 * @example regionalStsEndpoint('eu-west-1') // https://sts.eu-west-1.amazonaws.com/
 * @example regionalStsEndpoint('cn-north-1') // https://sts.cn-north-1.amazonaws.com.cn/
 */
export const regionalStsEndpoint = (region: string): URL =>
  new URL(`https://sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}/`);
