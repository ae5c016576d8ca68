import * as z from 'zod';

const AccountId = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id');
const Region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1');
const KeyName = z.string().regex(/^[a-z0-9-]{1,32}$/, 'a key name (1-32 of a-z 0-9 -)');

/** Requests per second and burst, as API Gateway takes them. */
const Throttle = z.strictObject({
  rateLimit: z.number().int().min(1).max(10_000),
  burstLimit: z.number().int().min(1).max(5_000),
});

/**
 * One deployment of fedgate (one account and region), as typed data. `infra/cdk/app.ts` picks one
 * of `STAGES` by the `stage` context value; everything below the app takes these values as props.
 */
export const StageConfigSchema = z
  .strictObject({
    /** Stage name: part of stack names, table names and the KMS key aliases. */
    name: z.string().regex(/^[a-z][a-z0-9-]{1,20}$/, 'a stage name (a-z 0-9 -, 2-21)'),
    /** The gateway account and region: explicit, so synth needs no credentials and no lookups. */
    account: AccountId,
    region: Region,
    /**
     * Custom domain for the public URL (`https://<domainName>`): the URL fedgate publishes and the
     * issuer IAM trusts. Without it the `execute-api` URL is used and no target-account stacks
     * can be built (they need the issuer URL as a literal).
     */
    customDomain: z
      .strictObject({
        domainName: z
          .string()
          .regex(/^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a DNS name'),
        /** An ACM certificate in the stage's region covering `domainName`. */
        certificateArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/, 'an ACM ARN'),
      })
      .optional(),
    /** The gateway config file (JSON/YAML), relative to the repository root; applied on deploy. */
    gatewayConfigFile: z.string().min(1),
    /**
     * Removed: nothing read it. The SPA origins the credentials function answers are the gateway
     * config's `spaClients[].origin` (one list, per client); a stage that still names this field
     * fails with that message rather than silently configuring nothing.
     */
    allowedSpaOrigins: z
      .undefined({
        error:
          'allowedSpaOrigins is no longer a stage setting (nothing read it): register each SPA in the gateway config as spaClients[].origin',
      })
      .optional(),
    /** CloudWatch Logs retention of function and access logs, in days (a CloudWatch value). */
    logRetentionDays: z
      .union([
        z.literal(7),
        z.literal(14),
        z.literal(30),
        z.literal(60),
        z.literal(90),
        z.literal(180),
        z.literal(365),
        z.literal(400),
        z.literal(731),
      ])
      .default(90),
    throttle: z
      .strictObject({
        /** The stage default for every route. */
        default: Throttle,
        /** Tighter limits per route key, e.g. `POST /saml/{idp}/acs`. */
        routes: z.record(z.string(), Throttle).default({}),
      })
      .default({ default: { rateLimit: 50, burstLimit: 100 }, routes: {} }),
    /** Reserved concurrency per function (omit to share the account's unreserved pool). */
    reservedConcurrency: z.number().int().min(1).max(1000).optional(),
    /**
     * fedgate's KMS signing keys by name, and which one signs. Rotation: add a name (both are
     * published), then move `activeKey` to it, then remove the old name (README: rotation).
     */
    signingKeys: z
      .strictObject({ keys: z.array(KeyName).min(1).max(2), activeKey: KeyName })
      .refine((s) => s.keys.includes(s.activeKey), {
        message: 'activeKey must be one of keys',
        path: ['activeKey'],
      })
      .refine((s) => new Set(s.keys).size === s.keys.length, {
        message: 'key names must be unique',
        path: ['keys'],
      })
      .default({ keys: ['k1'], activeKey: 'k1' }),
    /** Name of the IAM SAML provider in every target account (SAML_PROVIDER_NAME). */
    samlProviderName: z
      .string()
      .regex(/^[\w.-]{1,128}$/)
      .default('fedgate'),
    /** The client id (audience) of fedgate's web identity tokens, registered on the OIDC provider. */
    webIdentityAudience: z.string().min(1).max(255).default('sts.amazonaws.com'),
    /**
     * What the OIDC functions may read through the AWS Parameters and Secrets Lambda Extension,
     * beyond the references the gateway config names at synth time (an IdP imported later with
     * the admin CLI must keep to these): secrets whose names start with a prefix, parameters under
     * a path, and the customer managed KMS keys encrypting them (kms:Decrypt only through Secrets
     * Manager or SSM; none needed for the AWS managed keys).
     */
    oidcSecrets: z
      .strictObject({
        secretNamePrefixes: z
          .array(z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,200}$/, 'a secret name prefix'))
          .max(10)
          .default(['fedgate/']),
        parameterPathPrefixes: z
          .array(
            z.string().regex(/^\/[A-Za-z0-9/_.-]{0,200}\/$/, 'a parameter path like /fedgate/'),
          )
          .max(10)
          .default(['/fedgate/']),
        kmsKeyArns: z
          .array(
            z
              .string()
              .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'a KMS key ARN'),
          )
          .max(10)
          .default([]),
      })
      .default({
        secretNamePrefixes: ['fedgate/'],
        parameterPathPrefixes: ['/fedgate/'],
        kmsKeyArns: [],
      }),
    /**
     * The operators who may revoke live AWS sessions: IAM role, user or account ARNs allowed to
     * assume `fedgate-revocation-writer` in every target account (it may only write the
     * `fedgate-session-revocations` policy). Keep one that does not sign in through fedgate: a
     * revocation of everyone also refuses an operator's own fedgate session.
     */
    revocationWriters: z
      .array(
        z
          .string()
          .regex(
            /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\x21-\x7e]{1,576}|user\/[\x21-\x7e]{1,576})$/,
            'an IAM role, user or account (root) ARN',
          ),
      )
      .max(20)
      .default([]),
    /** Where alarm notifications go (an SNS topic is created; subscribe to it). */
    alarmEmail: z.email().optional(),
    /**
     * Accounts that trust fedgate: a target-account stack per entry (the gateway account can be one
     * of them). `samlMetadataFile` is fedgate's published IdP metadata, saved after the first
     * deploy (README: registering fedgate); without it only the OIDC provider is created.
     */
    targetAccounts: z
      .array(
        z.strictObject({
          account: AccountId,
          region: Region,
          samlMetadataFile: z.string().min(1).optional(),
          /** Create the example ABAC roles (S3 prefix per department). */
          exampleRoles: z.boolean().default(false),
          /**
           * Create every role the gateway config grants in this account, with fedgate's trust
           * policy and a MaxSessionDuration covering its grants (no permissions: attach them
           * where the workload is defined). Off when the roles are managed elsewhere.
           */
          rolesFromConfig: z.boolean().default(false),
        }),
      )
      .default([]),
  })
  .superRefine((s, ctx) => {
    if (s.targetAccounts.length > 0 && !s.customDomain) {
      ctx.addIssue({
        code: 'custom',
        path: ['targetAccounts'],
        message: 'target accounts need customDomain: IAM trusts a literal issuer URL',
      });
    }
    for (const key of Object.keys(s.throttle.routes)) {
      if (!/^(GET|POST|HEAD) \/\S*$/.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['throttle', 'routes', key],
          message: 'a route key: METHOD /path',
        });
      }
    }
  });

export type StageConfigInput = z.input<typeof StageConfigSchema>;
export type StageConfig = z.output<typeof StageConfigSchema>;

/** Validates a stage definition. @throws Error naming every bad field by path. */
export const parseStageConfig = (input: StageConfigInput): StageConfig => {
  const result = StageConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new Error(`stage config is invalid:\n${z.prettifyError(result.error)}`);
};
