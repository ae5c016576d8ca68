import * as z from '../zod.js';

/**
 * The runtime environment of every fedgate function. The variable names exist only here: the CDK
 * app and the local runner build environments through {@link buildEnvironment}, so infra and code
 * cannot drift apart. Secrets are never here, only references to them.
 */
export const ENV = {
  attributeTableName: 'ATTRIBUTE_TABLE_NAME',
  stateTableName: 'STATE_TABLE_NAME',
  publicBaseUrl: 'PUBLIC_BASE_URL',
  region: 'AWS_REGION',
  configCacheSeconds: 'CONFIG_CACHE_SECONDS',
  clockSkewSeconds: 'CLOCK_SKEW_SECONDS',
  signingKeyRef: 'SIGNING_KEY_REF',
  samlProviderName: 'SAML_PROVIDER_NAME',
  signinRegion: 'SIGNIN_REGION',
  federationEndpoint: 'FEDERATION_ENDPOINT',
  webIdentityAudience: 'WEB_IDENTITY_AUDIENCE',
} as const;

/** Variables a deployment sets; `AWS_REGION` is set by the Lambda runtime itself. */
export const DEPLOYED_ENV_NAMES = [
  ENV.attributeTableName,
  ENV.stateTableName,
  ENV.publicBaseUrl,
  ENV.configCacheSeconds,
  ENV.clockSkewSeconds,
  ENV.signingKeyRef,
  ENV.samlProviderName,
  ENV.webIdentityAudience,
] as const;

const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

const TableName = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)'));

const HTTPS_URL_MESSAGE = 'must be https (plain http only on 127.0.0.1/localhost)';
const isHttpsOrLoopback = (v: string) => {
  const u = new URL(v);
  return u.protocol === 'https:' || isLoopback(u);
};
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export const EnvSchema = z.pipe(
  z.object({
    [ENV.attributeTableName]: TableName,
    [ENV.stateTableName]: TableName,
    [ENV.publicBaseUrl]: z.url({ protocol: /^https?$/ }).check(
      z.refine(isHttpsOrLoopback, HTTPS_URL_MESSAGE),
      z.refine((v) => !new URL(v).search && !new URL(v).hash, 'must not carry a query or fragment'),
    ),
    [ENV.region]: z.string().check(z.regex(REGION, 'an AWS region such as eu-west-1')),
    [ENV.configCacheSeconds]: z._default(
      z.coerce.number().check(z.int(), z.minimum(0), z.maximum(3600)),
      60,
    ),
    [ENV.clockSkewSeconds]: z._default(
      z.coerce.number().check(z.int(), z.minimum(0), z.maximum(300)),
      60,
    ),
    /**
     * fedgate's signing key(s), a reference: `kms:<key id or ARN>` or `file:<pem path>`
     * (local runner). Comma-separated for rotation: the first signs, all are published.
     */
    [ENV.signingKeyRef]: z
      .string()
      .check(
        z.regex(
          /^(kms:[A-Za-z0-9:/_-]+|file:[^,]+)(,(kms:[A-Za-z0-9:/_-]+|file:[^,]+))*$/,
          'kms:<key id> or file:<path>, comma-separated',
        ),
      ),
    /** Name of fedgate's IAM SAML provider in every target account (the Role attribute's second ARN). */
    [ENV.samlProviderName]: z._default(
      z.string().check(z.regex(/^[\w.-]{1,128}$/, 'an IAM SAML provider name')),
      'fedgate',
    ),
    /** Use the regional AWS sign-in endpoints of this region (SAML recipient and federation). */
    [ENV.signinRegion]: z.optional(
      z.string().check(z.regex(REGION, 'an AWS region such as eu-west-1')),
    ),
    /**
     * The `aud` of fedgate's web identity tokens: a client id in the IAM OIDC provider's
     * ClientIDList (AssumeRoleWithWebIdentity). `sts.amazonaws.com` is what AWS suggests.
     */
    [ENV.webIdentityAudience]: z._default(
      z
        .string()
        .check(
          z.regex(/^[\x21-\x7e]{1,255}$/, 'an IAM OIDC client id (1-255 visible ASCII characters)'),
        ),
      'sts.amazonaws.com',
    ),
    /** Only for the local runner's stand-in: where getSigninToken/login are served. */
    [ENV.federationEndpoint]: z.optional(
      z.url({ protocol: /^https?$/ }).check(z.refine(isHttpsOrLoopback, HTTPS_URL_MESSAGE)),
    ),
  }),
  z.transform((e) => ({
    attributeTableName: e[ENV.attributeTableName],
    stateTableName: e[ENV.stateTableName],
    /** Origin + path prefix every URL fedgate publishes is built from (never from Host headers). */
    publicBaseUrl: new URL(e[ENV.publicBaseUrl].replace(/\/+$/, '')),
    region: e[ENV.region],
    configCacheSeconds: e[ENV.configCacheSeconds],
    clockSkewSeconds: e[ENV.clockSkewSeconds],
    signingKeyRefs: e[ENV.signingKeyRef].split(','),
    samlProviderName: e[ENV.samlProviderName],
    webIdentityAudience: e[ENV.webIdentityAudience],
    /** AssumeRoleWithSAML requires the Recipient to be an AWS sign-in SAML endpoint. */
    awsSigninSamlUrl: new URL(
      e[ENV.signinRegion]
        ? `https://${e[ENV.signinRegion]}.signin.aws.amazon.com/saml`
        : 'https://signin.aws.amazon.com/saml',
    ),
    federationEndpoint: new URL(
      e[ENV.federationEndpoint] ??
        (e[ENV.signinRegion]
          ? `https://${e[ENV.signinRegion]}.signin.aws.amazon.com/federation`
          : 'https://signin.aws.amazon.com/federation'),
    ),
  })),
);

export type RuntimeConfig = z.output<typeof EnvSchema>;
export type RuntimeConfigInput = z.input<typeof EnvSchema>;

/** Builds the environment variables a deployed function needs from typed values. */
export const buildEnvironment = (values: {
  attributeTableName: string;
  stateTableName: string;
  publicBaseUrl: string;
  configCacheSeconds?: number;
  clockSkewSeconds?: number;
  signingKeyRefs: readonly string[];
  samlProviderName?: string;
  webIdentityAudience?: string;
}): Record<(typeof DEPLOYED_ENV_NAMES)[number], string> => ({
  [ENV.attributeTableName]: values.attributeTableName,
  [ENV.stateTableName]: values.stateTableName,
  [ENV.publicBaseUrl]: values.publicBaseUrl,
  [ENV.configCacheSeconds]: String(values.configCacheSeconds ?? 60),
  [ENV.clockSkewSeconds]: String(values.clockSkewSeconds ?? 60),
  [ENV.signingKeyRef]: values.signingKeyRefs.join(','),
  [ENV.samlProviderName]: values.samlProviderName ?? 'fedgate',
  [ENV.webIdentityAudience]: values.webIdentityAudience ?? 'sts.amazonaws.com',
});
