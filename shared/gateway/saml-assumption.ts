import { type Clock, systemClock } from '../clock.js';
import type { RuntimeConfig } from '../config/index.js';
import type { RoleAssumption } from '../handback/index.js';
import { createAwsSamlMinter, isAuthnContextClassRef, type SigningKeys } from '../issuer/index.js';
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
  /** The clock (shared/clock.ts): the mint time, which also bounds the upstream time. */
  clock?: Clock;
}): RoleAssumption => {
  const { config } = deps;
  const clock = deps.clock ?? systemClock;
  const minter = createAwsSamlMinter({
    signingKeys: deps.signingKeys,
    issuerEntityId: awsIssuerEntityId(config),
    samlProviderName: config.samlProviderName,
  });
  const assumer = createRoleAssumer({ sts: deps.sts, log: deps.log });
  return async (grant, person) => {
    const now = clock();
    // When and how the person authenticated upstream, not when fedgate mints. An upstream time a
    // little ahead of ours (within the verifier's clock skew) is written as now: the person did
    // not authenticate after the assertion saying so. A method that is no URI (OIDC amr lists)
    // is `unspecified`.
    const authnInstant =
      person.authTime !== undefined && Number.isFinite(person.authTime)
        ? Math.min(Math.floor(person.authTime * 1000), now)
        : undefined;
    const minted = await minter.mint({
      grant,
      recipient: config.awsSigninSamlUrl.href,
      // Opaque and stable: CloudTrail logs the NameID, so no email or UPN goes there.
      nameId: person.subjectRef,
      now,
      // Before 2001 (outside the minter's epoch-milliseconds range) is no authentication time.
      ...(authnInstant !== undefined && authnInstant >= 1e12 ? { authnInstant } : {}),
      ...(person.authMethod !== undefined && isAuthnContextClassRef(person.authMethod)
        ? { authnContextClassRef: person.authMethod }
        : {}),
    });
    return assumer.assumeRoleWithSaml({
      roleArn: grant.roleArn,
      principalArn: minted.principalArn,
      samlAssertionB64: minted.samlResponseB64,
      durationSeconds: grant.durationSeconds,
    });
  };
};
