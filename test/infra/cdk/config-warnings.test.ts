import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { addFedgateStage } from '../../../infra/cdk/fedgate-app.js';
import { STAGES } from '../../../infra/cdk/stages.js';
import { parseGatewayConfig } from '../../../shared/config/index.js';

/**
 * What `fedgate-admin validate` warns about in a gateway config (valid, but risky) is shown by
 * `cdk synth` as well, as warnings on the gateway stack: a deploy through CDK never runs the
 * admin CLI.
 */
const stage = STAGES.example as NonNullable<typeof STAGES.example>;
const configWith = (when: unknown[]) =>
  parseGatewayConfig({
    version: 1,
    idps: [
      {
        id: 'okta',
        displayName: 'Okta',
        protocol: 'saml',
        saml: { entityId: 'http://www.okta.com/exk1', signingCertificates: ['A'.repeat(80)] },
        subjectClaim: 'oktaUserId',
        rules: [
          {
            id: 'by-email',
            priority: 1,
            effect: 'allow',
            when,
            grant: { roleArn: 'arn:aws:iam::210987654321:role/fedgate/readonly' },
          },
        ],
      },
    ],
  } as never);

describe('gateway config warnings at synth', () => {
  it('a rule keyed on email: a warning on the gateway stack naming the path', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { gateway } = addFedgateStage(
      app,
      stage,
      configWith([{ claim: 'email', op: 'equals', value: 'a@example.com', quantifier: 'any' }]),
      { nag: false },
    );
    Annotations.fromStack(gateway).hasWarning(
      '*',
      Match.stringLikeRegexp(
        'gateway config idps\\[0\\]\\.rules\\[0\\]\\.when\\[0\\]\\.claim: .*email',
      ),
    );
  });

  it('none for a config that draws none', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { gateway } = addFedgateStage(
      app,
      stage,
      configWith([{ claim: 'groups', op: 'equals', value: 'aws-readonly', quantifier: 'any' }]),
      { nag: false },
    );
    expect(
      Annotations.fromStack(gateway).findWarning('*', Match.stringLikeRegexp('gateway config')),
    ).toEqual([]);
  });
});
