import type { RuntimeConfig } from '../config/index.js';
import { createConsoleSignin } from '../console/index.js';
import { createHandback, type RoleAssumption } from '../handback/index.js';
import { GatewayMisconfiguredError } from '../http/errors.js';
import { createAwsSamlMinter, type SigningKeys } from '../issuer/index.js';
import type { Log } from '../log.js';
import type { StateStore } from '../store/index.js';
import { createRoleAssumer, type StsPort } from '../sts/index.js';
import { awsIssuerEntityId } from './signing.js';

/** How long fedgate waits for the federation endpoint (getSigninToken). */
const FEDERATION_TIMEOUT_MS = 5000;

/**
 * The hand-back with AWS behind it: SAML grants are minted as fedgate's own assertion (signed
 * through the Signer port) and exchanged with AssumeRoleWithSAML; the console link comes from the
 * federation endpoint.
 */
export const createAwsHandback = (deps: {
  config: RuntimeConfig;
  state: StateStore;
  sts: StsPort;
  fetch: typeof fetch;
  signingKeys: SigningKeys;
  log: Log;
}) => {
  const { config } = deps;
  const minter = createAwsSamlMinter({
    signingKeys: deps.signingKeys,
    issuerEntityId: awsIssuerEntityId(config),
    samlProviderName: config.samlProviderName,
  });
  const assumer = createRoleAssumer({ sts: deps.sts, log: deps.log });
  const consoleSignin = createConsoleSignin({
    fetch: deps.fetch,
    federationEndpoint: config.federationEndpoint,
    issuerUrl: config.publicBaseUrl,
    timeoutMs: FEDERATION_TIMEOUT_MS,
  });

  const saml: RoleAssumption = async (grant, person) => {
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
  // TODO(#4): web identity hand-back (mint a JWT, AssumeRoleWithWebIdentity).
  const oidc: RoleAssumption = async () => {
    throw new GatewayMisconfiguredError('OIDC hand-back is not available yet');
  };

  return createHandback({
    state: deps.state,
    assume: { saml, oidc },
    consoleUrl: (credentials, destination, sessionDurationSeconds) =>
      consoleSignin.buildSigninUrl({ credentials, destination, sessionDurationSeconds }),
    publicBaseUrl: config.publicBaseUrl,
    region: config.region,
    log: deps.log,
  });
};
