import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
} from 'aws-cdk-lib/aws-lambda';
import type { GatewayConfig } from '../../shared/config/index.js';
import type { StageConfig } from './stage-config.js';

/**
 * What the OIDC functions need to read client secrets and sign client assertions in AWS: the AWS
 * Parameters and Secrets Lambda Extension layer (shared/oidc/aws-secrets.ts talks to it over
 * localhost, so no Secrets Manager/SSM SDK client is bundled), the read grants behind it, and the
 * KMS grants for private_key_jwt keys (shared/oidc/client-auth.ts). Which functions get them is
 * their declaration in infra/manifest.ts (`secrets`, `kms.clientKeys`).
 */

/** What the extension calls with the function's role. */
export const SECRET_READ_ACTIONS = ['secretsmanager:GetSecretValue'] as const;
export const PARAMETER_READ_ACTIONS = ['ssm:GetParameter'] as const;
/** What a private_key_jwt key needs: the Signer port over KMS (shared/issuer/kms-signing-keys.ts). */
export const CLIENT_KEY_ACTIONS = ['kms:Sign', 'kms:GetPublicKey'] as const;

/** The extension's HTTP timeouts: under the function's own 3 s, so it answers a 5xx first. */
const EXTENSION_TIMEOUT = Duration.seconds(2);

/** The layer, pinned, with the extension's cache at its default 300 s and short timeouts. */
export const paramsAndSecretsLayer = (): ParamsAndSecretsLayerVersion =>
  ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
    cacheEnabled: true,
    cacheSize: 100,
    logLevel: ParamsAndSecretsLogLevel.WARN,
    secretsManagerTimeout: EXTENSION_TIMEOUT,
    parameterStoreTimeout: EXTENSION_TIMEOUT,
  });

const partitionOf = (region: string): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

/** A secret ARN as referenced (without `#json key`), and its form with Secrets Manager's suffix. */
const secretArns = (ref: string): string[] => {
  const arn = ref.split('#')[0] as string;
  // Secrets Manager appends "-" and 6 random characters to every secret's ARN; a reference by the
  // partial ARN matches the full one only through this pattern. Whether a reference already ends
  // in the suffix cannot be told from its text ("google-client" looks like one), so both.
  return [arn, `${arn}-??????`];
};

/** The alias prefix of a stage's AWS signing keys (data-stack.ts: `alias/fedgate/<stage>/<name>`). */
export const signingKeyAliasPrefix = (stage: StageConfig): string => `alias/fedgate/${stage.name}/`;

/**
 * Where a gateway config's private_key_jwt `clientAuth.keyRef` names the stage's AWS signing key
 * (by its alias, or an alias ARN, under `alias/fedgate/<stage>/`): the key whose signature AWS
 * trusts for every role must never also sign client assertions an IdP receives. A key id or ARN
 * cannot be compared here (the data stack creates the keys); the callback function compares
 * public keys at run time as well (shared/gateway/client-key-guard.ts).
 */
export const awsSigningKeyClientRefs = (
  config: GatewayConfig,
  stage: StageConfig,
): { path: string; message: string }[] => {
  const prefix = signingKeyAliasPrefix(stage);
  const issues: { path: string; message: string }[] = [];
  config.idps.forEach((idp, i) => {
    if (idp.protocol !== 'oidc') return;
    const ref = idp.oidc.clientAuth?.keyRef;
    if (!ref?.startsWith('kms:')) return;
    const id = ref.slice(4);
    const alias =
      id.startsWith('arn:') && id.includes(':alias/') ? id.slice(id.indexOf(':alias/') + 1) : id;
    if (alias.startsWith(prefix)) {
      issues.push({
        path: `idps[${i}].oidc.clientAuth.keyRef`,
        message: `${ref} is fedgate's AWS signing key (${prefix}…): a private_key_jwt client key must be a KMS key of its own`,
      });
    }
  });
  return issues;
};

/** The KMS key references of private_key_jwt IdPs, split into key ARNs and alias names. */
const clientKeysOf = (config: GatewayConfig, stage: StageConfig) => {
  const partition = partitionOf(stage.region);
  const keyArns = new Set<string>();
  const aliases = new Set<string>();
  for (const idp of config.idps) {
    if (idp.protocol !== 'oidc') continue;
    const ref = idp.oidc.clientAuth?.keyRef;
    if (!ref?.startsWith('kms:')) continue;
    const id = ref.slice(4);
    if (id.startsWith('alias/')) aliases.add(id);
    else if (id.startsWith('arn:') && id.includes(':alias/')) {
      aliases.add(id.slice(id.indexOf(':alias/') + 1));
    } else if (id.startsWith('arn:')) keyArns.add(id);
    else keyArns.add(`arn:${partition}:kms:${stage.region}:${stage.account}:key/${id}`);
  }
  return { keyArns: [...keyArns].sort(), aliases: [...aliases].sort() };
};

/**
 * The statements of a function that resolves OIDC client secrets through the extension, and (when
 * `signs`) signs private_key_jwt assertions: GetSecretValue on the stage's secret name prefixes
 * and every `arn:aws:secretsmanager:` reference of the gateway config; GetParameter on the
 * parameter path prefixes and every `ssm:` reference; kms:Decrypt on the stage's
 * `oidcSecrets.kmsKeyArns` through those two services only; kms:Sign/GetPublicKey on the
 * `clientAuth.keyRef` KMS keys (by key ARN, or for an alias by `kms:RequestAlias`).
 * @example for (const s of oidcSecretStatements(config, stage, { secrets: true, signs: true })) role.addToPolicy(s);
 */
export const oidcSecretStatements = (
  config: GatewayConfig,
  stage: StageConfig,
  uses: { secrets: boolean; signs: boolean },
): iam.PolicyStatement[] => {
  const partition = partitionOf(stage.region);
  const { region, account } = stage;
  const statements: iam.PolicyStatement[] = [];
  if (uses.secrets) {
    const secrets = new Set(
      stage.oidcSecrets.secretNamePrefixes.map(
        (prefix) => `arn:${partition}:secretsmanager:${region}:${account}:secret:${prefix}*`,
      ),
    );
    const parameters = new Set(
      stage.oidcSecrets.parameterPathPrefixes.map(
        (prefix) => `arn:${partition}:ssm:${region}:${account}:parameter${prefix}*`,
      ),
    );
    for (const idp of config.idps) {
      if (idp.protocol !== 'oidc') continue;
      const ref = idp.oidc.clientSecretRef;
      if (ref?.startsWith('arn:')) for (const arn of secretArns(ref)) secrets.add(arn);
      if (ref?.startsWith('ssm:')) {
        parameters.add(`arn:${partition}:ssm:${region}:${account}:parameter${ref.slice(4)}`);
      }
    }
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadOidcClientSecrets',
        actions: [...SECRET_READ_ACTIONS],
        resources: [...secrets].sort(),
      }),
      new iam.PolicyStatement({
        sid: 'ReadOidcClientParameters',
        actions: [...PARAMETER_READ_ACTIONS],
        resources: [...parameters].sort(),
      }),
    );
    if (stage.oidcSecrets.kmsKeyArns.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'DecryptOidcClientSecrets',
          actions: ['kms:Decrypt'],
          resources: [...stage.oidcSecrets.kmsKeyArns].sort(),
          conditions: {
            'ForAnyValue:StringEquals': {
              'kms:ViaService': [
                `secretsmanager.${region}.amazonaws.com`,
                `ssm.${region}.amazonaws.com`,
              ],
            },
          },
        }),
      );
    }
  }
  if (uses.signs) {
    const { keyArns, aliases } = clientKeysOf(config, stage);
    if (keyArns.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'SignOidcClientAssertions',
          actions: [...CLIENT_KEY_ACTIONS],
          resources: keyArns,
        }),
      );
    }
    if (aliases.length > 0) {
      // An alias is not a resource KMS authorizes on: the key behind it is, named by the alias
      // the call used (fedgate calls with the alias as KeyId).
      statements.push(
        new iam.PolicyStatement({
          sid: 'SignOidcClientAssertionsByAlias',
          actions: [...CLIENT_KEY_ACTIONS],
          resources: [`arn:${partition}:kms:${region}:${account}:key/*`],
          conditions: { StringEquals: { 'kms:RequestAlias': aliases } },
        }),
      );
    }
  }
  return statements;
};

/**
 * cdk-nag acknowledgements for the wildcards these statements carry, each with its reason: name
 * prefixes (the stage's `oidcSecrets`), Secrets Manager's random ARN suffix, and KMS keys named
 * by alias.
 */
export const acknowledgeOidcSecretWildcards = (
  role: iam.IRole,
  statements: readonly iam.PolicyStatement[],
): void => {
  const acks: { id: string; reason: string }[] = [];
  for (const statement of statements) {
    for (const resource of statement.resources) {
      if (!/[*?]/.test(resource)) continue;
      const reason = resource.includes(':kms:')
        ? 'KMS authorizes the key, not its alias: any key, but only when called through the private_key_jwt alias the gateway config names (kms:RequestAlias)'
        : resource.endsWith('-??????')
          ? 'Secrets Manager appends six random characters to a secret ARN: this matches exactly the secret the gateway config references'
          : "The stage's oidcSecrets prefixes: OIDC client secrets of IdPs added after deploy (admin CLI) must live under them";
      acks.push({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    }
  }
  if (acks.length > 0) Validations.of(role).acknowledge(...acks);
};

/**
 * The read grants of the SCIM function: exactly the IdPs' `directory.scim.tokenRef` secrets and
 * parameters (shared/directory/README.md), nothing of the OIDC client secrets. No statement when
 * every token is an `env:`/`file:` reference.
 */
export const scimTokenStatements = (
  config: GatewayConfig,
  stage: StageConfig,
): iam.PolicyStatement[] => {
  const partition = partitionOf(stage.region);
  const { region, account } = stage;
  const secrets = new Set<string>();
  const parameters = new Set<string>();
  for (const idp of config.idps) {
    const ref = idp.directory?.scim?.tokenRef;
    if (ref?.startsWith('arn:')) for (const arn of secretArns(ref)) secrets.add(arn);
    if (ref?.startsWith('ssm:')) {
      parameters.add(`arn:${partition}:ssm:${region}:${account}:parameter${ref.slice(4)}`);
    }
  }
  return [
    ...(secrets.size > 0
      ? [
          new iam.PolicyStatement({
            sid: 'ReadScimTokens',
            actions: [...SECRET_READ_ACTIONS],
            resources: [...secrets].sort(),
          }),
        ]
      : []),
    ...(parameters.size > 0
      ? [
          new iam.PolicyStatement({
            sid: 'ReadScimTokenParameters',
            actions: [...PARAMETER_READ_ACTIONS],
            resources: [...parameters].sort(),
          }),
        ]
      : []),
  ];
};
