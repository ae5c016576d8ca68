import { type GatewayConfigInput, parseGatewayConfig } from '../../../shared/config/index.js';

/** A small gateway config for store tests: a SAML IdP with three rules, an OIDC IdP, two accounts. */
export const sampleConfigInput = (): GatewayConfigInput => ({
  version: 1,
  accounts: [
    { id: '111122223333', alias: 'prod' },
    { id: '444455556666', alias: 'dev', description: 'sandbox' },
  ],
  idps: [
    {
      id: 'okta',
      displayName: 'Okta',
      protocol: 'saml',
      saml: { entityId: 'http://www.okta.com/exk1', signingCertificates: ['A'.repeat(80)] },
      claimAliases: { groups: ['http://schemas.xmlsoap.org/claims/Group'] },
      rules: [
        {
          id: 'readers',
          priority: 200,
          effect: 'allow',
          when: [{ claim: 'groups', op: 'contains', value: 'aws-readers' }],
          grant: { roleArn: 'arn:aws:iam::111122223333:role/ReadOnly' },
        },
        {
          id: 'admins',
          priority: 10,
          effect: 'allow',
          when: [{ claim: 'groups', op: 'contains', value: 'aws-admins' }],
          grant: {
            roleArn: 'arn:aws:iam::111122223333:role/Admin',
            sessionTags: { team: '{claims.team}' },
          },
        },
        {
          id: 'contractors',
          priority: 5,
          effect: 'deny',
          when: [{ claim: 'type', op: 'equals', value: 'contractor' }],
        },
      ],
    },
    {
      id: 'entra',
      displayName: 'Microsoft Entra ID',
      protocol: 'oidc',
      listed: false,
      oidc: {
        issuer: 'https://login.microsoftonline.com/tid/v2.0',
        clientId: 'client-1',
        profile: 'entra',
      },
      rules: [
        {
          id: 'devs',
          priority: 1,
          effect: 'allow',
          when: [],
          grant: { roleArn: 'arn:aws:iam::444455556666:role/Developer' },
        },
      ],
    },
  ],
});

/** {@link sampleConfigInput}, validated (defaults filled in, frozen). */
export const sampleConfig = () => parseGatewayConfig(sampleConfigInput());
