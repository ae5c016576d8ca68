import type { RuntimeConfig } from '../config/index.js';
import { createConsoleSignin } from '../console/index.js';
import { createHandback, type RoleAssumption } from '../handback/index.js';
import { GatewayMisconfiguredError } from '../http/errors.js';
import type { SigningKeys } from '../issuer/index.js';
import { meter as defaultMeter, type Log, type Meter } from '../log.js';
import type { StateStore } from '../store/index.js';
import type { StsPort } from '../sts/index.js';
import { createWebIdentityAssumption } from './web-identity.js';

/** How long fedgate waits for the federation endpoint (getSigninToken). */
const FEDERATION_TIMEOUT_MS = 5000;

/**
 * The hand-back with AWS behind it: OIDC grants are minted as fedgate's own web identity token
 * (`iss` = fedgate's published issuer, `aud` = WEB_IDENTITY_AUDIENCE) and exchanged with
 * AssumeRoleWithWebIdentity; SAML grants go through `saml` (createSamlAssumption: fedgate's own
 * assertion, AssumeRoleWithSAML), which only the functions that hand back SAML sign-ins pass —
 * without it a SAML grant is refused as a misconfiguration. Both sign through the same
 * SigningKeys. The console link comes from the federation endpoint.
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
  /** SAML sign-ins' role assumption (createSamlAssumption); absent where none can arrive. */
  saml?: RoleAssumption;
}) => {
  const { config } = deps;
  const consoleSignin = createConsoleSignin({
    fetch: deps.fetch,
    federationEndpoint: config.federationEndpoint,
    issuerUrl: config.publicBaseUrl,
    timeoutMs: FEDERATION_TIMEOUT_MS,
  });

  const saml: RoleAssumption =
    deps.saml ??
    (async () => {
      throw new GatewayMisconfiguredError('this function does not hand back SAML sign-ins');
    });
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
