import { parseStageConfig, type StageConfig } from './stage-config.js';

/**
 * The deployments of fedgate. `npx cdk synth -c stage=<name>` picks one (default `example`).
 * Add your own next to `example`; keep account and region explicit (no lookups, synth offline).
 */
export const STAGES: Readonly<Record<string, StageConfig>> = {
  example: parseStageConfig({
    name: 'example',
    account: '123456789012',
    region: 'eu-west-1',
    customDomain: {
      domainName: 'sso.example.com',
      certificateArn:
        'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
    },
    gatewayConfigFile: 'infra/cdk/example/gateway-config.yaml',
    logRetentionDays: 90,
    throttle: {
      default: { rateLimit: 50, burstLimit: 100 },
      routes: {
        // Every route that issues credentials or a console link gets a tighter limit than the
        // stage default.
        'POST /saml/{idp}/acs': { rateLimit: 20, burstLimit: 40 },
        'POST /portal/open': { rateLimit: 20, burstLimit: 40 },
        'GET /portal/keys': { rateLimit: 20, burstLimit: 40 },
        'POST /signin/confirm': { rateLimit: 20, burstLimit: 40 },
        'GET /oidc/{idp}/callback': { rateLimit: 20, burstLimit: 40 },
        'POST /redeem': { rateLimit: 20, burstLimit: 40 },
        'POST /credentials': { rateLimit: 20, burstLimit: 40 },
        'POST /grants': { rateLimit: 20, burstLimit: 40 },
        // The CLI: codes become sessions, sessions credentials and console links; user codes
        // are guessed only through GET /cli/device and its confirmation (also counted in the
        // state table per source and overall).
        'POST /cli/token': { rateLimit: 20, burstLimit: 40 },
        'POST /cli/device': { rateLimit: 5, burstLimit: 10 },
        'GET /cli/device': { rateLimit: 10, burstLimit: 20 },
        'POST /cli/device/confirm': { rateLimit: 10, burstLimit: 20 },
        'POST /cli/authorize': { rateLimit: 20, burstLimit: 40 },
        'POST /cli/credentials': { rateLimit: 20, burstLimit: 40 },
        'POST /cli/console': { rateLimit: 20, burstLimit: 40 },
        'POST /cli/roles': { rateLimit: 20, burstLimit: 40 },
      },
    },
    reservedConcurrency: 20,
    signingKeys: { keys: ['k1'], activeKey: 'k1' },
    alarmEmail: 'ops@example.com',
    revocationWriters: ['arn:aws:iam::123456789012:role/fedgate-operators'],
    targetAccounts: [
      {
        account: '123456789012',
        region: 'eu-west-1',
        samlMetadataFile: 'infra/cdk/example/fedgate-idp-metadata.xml',
        exampleRoles: true,
      },
      { account: '210987654321', region: 'eu-west-1', exampleRoles: true, rolesFromConfig: true },
    ],
  }),
};
