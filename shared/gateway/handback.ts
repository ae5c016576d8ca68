import type { RuntimeConfig } from '../config/index.js';
import { createConsoleSignin } from '../console/index.js';
import { createHandback, type RoleAssumption } from '../handback/index.js';
import { createAwsSamlMinter, type SigningKeys } from '../issuer/index.js';
import { meter as defaultMeter, type Log, type Meter } from '../log.js';
import type { StateStore } from '../store/index.js';
import { createRoleAssumer, type StsPort } from '../sts/index.js';
import { awsIssuerEntityId } from './signing.js';
import { createWebIdentityAssumption } from './web-identity.js';

/** How long fedgate waits for the federation endpoint (getSigninToken). */
const FEDERATION_TIMEOUT_MS = 5000;

/**
 * The hand-back with AWS behind it: SAML grants are minted as fedgate's own assertion and exchanged
 * with AssumeRoleWithSAML; OIDC grants as fedgate's own web identity token (`iss` = fedgate's
 * published issuer, `aud` = WEB_IDENTITY_AUDIENCE) exchanged with AssumeRoleWithWebIdentity; both
 * signed through the same SigningKeys. The console link comes from the federation endpoint.
 */
export const createAwsHandback = (deps: {
  config: RuntimeConfig;
  state: StateStore;
  sts: StsPort;
  fetch: typeof fetch;
  signingKeys: SigningKeys;
  log: Log;
  /** Where completed sign-ins are counted (default: fedgate's EMF metrics). */
  meter?: Meter;
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
  const oidc = createWebIdentityAssumption({
    config,
    sts: deps.sts,
    signingKeys: deps.signingKeys,
    log: deps.log,
  });

  return createHandback({
    state: deps.state,
    assume: { saml, oidc },
    consoleUrl: (credentials, destination, sessionDurationSeconds) =>
      consoleSignin.buildSigninUrl({ credentials, destination, sessionDurationSeconds }),
    publicBaseUrl: config.publicBaseUrl,
    region: config.region,
    log: deps.log,
    meter: deps.meter ?? defaultMeter,
  });
};
