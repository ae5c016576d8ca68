import { resolve } from 'node:path';
import { Annotations, type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, type GatewayConfig, lintGatewayConfig } from '../../shared/config/index.js';
import { loadGatewayConfigFile } from '../config-file.js';
import { rolesFromConfig } from './config-roles.js';
import { DataStack } from './data-stack.js';
import { REPO_ROOT } from './function-bundling.js';
import { GatewayStack } from './gateway-stack.js';
import { awsSigningKeyClientRefs } from './oidc-secrets.js';
import type { StageConfig } from './stage-config.js';
import { TargetAccountStack } from './target-account.js';

/** The stacks of one stage. */
export interface FedgateStacks {
  data: DataStack;
  gateway: GatewayStack;
  targets: TargetAccountStack[];
}

/**
 * Loads and validates a stage's gateway config file (relative paths from the repository root).
 * An invalid file fails here, i.e. at synth, with the path of every problem; so does a
 * private_key_jwt `clientAuth.keyRef` naming the stage's AWS signing key.
 * @throws ConfigError naming the file and each bad path (`idps[0].rules[1].grant.roleArn: …`).
 */
export const loadStageGatewayConfig = async (stage: StageConfig): Promise<GatewayConfig> => {
  const path = resolve(REPO_ROOT, stage.gatewayConfigFile);
  let config: GatewayConfig;
  try {
    config = await loadGatewayConfigFile(path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(`the gateway config file ${path} (stage ${stage.name})`, err.issues);
  }
  // Where the stage and the config meet: a client key must not be the stage's AWS signing key.
  const issues = awsSigningKeyClientRefs(config, stage);
  if (issues.length > 0) {
    throw new ConfigError(`the gateway config file ${path} (stage ${stage.name})`, issues);
  }
  return config;
};

/**
 * Adds one stage's stacks to an app: `fedgate-<stage>-data` (stateful), `fedgate-<stage>-gateway`
 * (stateless) and one `fedgate-<stage>-trust-<account>-<region>` per target account; with
 * `nag` (the default) the cdk-nag AwsSolutions checks run on synth and any unacknowledged
 * finding fails it. The gateway config's warnings (`lintGatewayConfig`) become warnings on the
 * gateway stack, which `cdk synth` prints.
 */
export const addFedgateStage = (
  app: App,
  stage: StageConfig,
  gatewayConfig: GatewayConfig,
  { nag = true }: { nag?: boolean } = {},
): FedgateStacks => {
  const keyIssues = awsSigningKeyClientRefs(gatewayConfig, stage);
  if (keyIssues.length > 0) {
    throw new ConfigError(`the gateway config (stage ${stage.name})`, keyIssues);
  }
  const env = { account: stage.account, region: stage.region };
  const prefix = `fedgate-${stage.name}`;
  const data = new DataStack(app, `${prefix}-data`, {
    env,
    stage,
    description: `fedgate ${stage.name}: tables and signing keys (stateful)`,
  });
  // The active key first: it signs; every key in the list is published (rotation).
  const signingKeys = [
    data.activeSigningKey(stage),
    ...data.signingKeys.filter((k) => k.name !== stage.signingKeys.activeKey),
  ];
  const gateway = new GatewayStack(app, `${prefix}-gateway`, {
    env,
    stage,
    gatewayConfig,
    attributeTable: data.attributeTable,
    stateTable: data.stateTable,
    signingKeys,
    description: `fedgate ${stage.name}: HTTP API, functions, config as code, alarms`,
  });
  gateway.addStackDependency(data);
  // What `fedgate-admin validate` warns about (valid, but risky: rules keyed on mutable claims,
  // escapable denies, identity values from unverified claims), shown by `cdk synth` too.
  for (const w of lintGatewayConfig(gatewayConfig)) {
    Annotations.of(gateway).addWarningV2(
      `fedgate:gateway-config:${w.path}`,
      `gateway config ${w.path}: ${w.message}`,
    );
  }

  const configRoles = rolesFromConfig(gatewayConfig);
  const targets = stage.targetAccounts.map(
    (target) =>
      new TargetAccountStack(app, `${prefix}-trust-${target.account}-${target.region}`, {
        env: { account: target.account, region: target.region },
        description: `fedgate ${stage.name}: IAM providers trusting fedgate, fedgate roles, session revocation`,
        issuerUrl: `https://${stage.customDomain?.domainName}`,
        webIdentityAudience: stage.webIdentityAudience,
        samlProviderName: stage.samlProviderName,
        revocationWriterPrincipalArns: stage.revocationWriters,
        exampleRoles: target.exampleRoles,
        configRoles: target.rolesFromConfig
          ? configRoles.filter((r) => r.account === target.account)
          : [],
        ...(target.samlMetadataFile
          ? { samlMetadataFile: resolve(REPO_ROOT, target.samlMetadataFile) }
          : {}),
      }),
  );

  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { data, gateway, targets };
};
