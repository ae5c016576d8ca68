import type { RuntimeConfig } from '../config/index.js';
import type { RoleAssumption } from '../handback/index.js';
import { createAwsSamlMinter, type SigningKeys } from '../issuer/index.js';
import type { Log } from '../log.js';
import { createRoleAssumer, type StsPort } from '../sts/index.js';
import { awsIssuerEntityId } from './signing.js';

/**
 * How a SAML sign-in's grant becomes AWS credentials: fedgate mints its own SAML assertion
 * (shared/issuer, signed through `signingKeys`) and exchanges it with AssumeRoleWithSAML. Kept
 * apart from createAwsHandback so that a function which never hands back SAML sign-ins (the OIDC
 * callback) bundles no SAML minter, XML parser or canonicalizer.
 * @example const saml = createSamlAssumption({ config, sts, signingKeys, log: logger });
 * const handback = createAwsHandback({ config, state, sts, fetch, signingKeys, log: logger, saml });
 */
export const createSamlAssumption = (deps: {
  config: RuntimeConfig;
  sts: StsPort;
  signingKeys: SigningKeys;
  log: Log;
}): RoleAssumption => {
  const { config } = deps;
  const minter = createAwsSamlMinter({
    signingKeys: deps.signingKeys,
    issuerEntityId: awsIssuerEntityId(config),
    samlProviderName: config.samlProviderName,
  });
  const assumer = createRoleAssumer({ sts: deps.sts, log: deps.log });
  return async (grant, person) => {
    const minted = await minter.mint({
      grant,
      recipient: config.awsSigninSamlUrl.href,
      // Opaque and stable: CloudTrail logs the NameID, so no email or UPN goes there.
      nameId: person.subjectRef,
      now: Date.now(),
    });
    return assumer.assumeRoleWithSaml({
      roleArn: grant.roleArn,
      principalArn: minted.principalArn,
      samlAssertionB64: minted.samlResponseB64,
      durationSeconds: grant.durationSeconds,
    });
  };
};
