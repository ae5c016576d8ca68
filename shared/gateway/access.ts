import type { Clock } from '../clock.js';
import type { RuntimeConfig } from '../config/index.js';
import { createConsoleSignin } from '../console/index.js';
import { createAwsAccess, type RoleAssumption } from '../handback/index.js';
import { GatewayMisconfiguredError } from '../http/errors.js';
import type { SigningKeys } from '../issuer/index.js';
import { meter as defaultMeter, type Log, type Meter } from '../log.js';
import type { StsPort } from '../sts/index.js';
import { createWebIdentityAssumption } from './web-identity.js';

/** How long fedgate waits for the federation endpoint (getSigninToken). */
const FEDERATION_TIMEOUT_MS = 5000;

/**
 * AWS access with AWS behind it: OIDC sessions' grants are minted as fedgate's own web identity
 * token and exchanged with AssumeRoleWithWebIdentity; SAML sessions' grants go through `saml`
 * (createSamlAssumption: fedgate's own assertion, AssumeRoleWithSAML), which only the functions
 * that serve SAML sessions pass, so the OIDC callback bundles no XML stack. The console link comes
 * from the federation endpoint.
 */
export const createAwsAccessFor = (deps: {
  config: RuntimeConfig;
  sts: StsPort;
  fetch: typeof fetch;
  signingKeys: SigningKeys;
  log: Log;
  /** Where hand-outs are counted (default: fedgate's EMF metrics). */
  meter?: Meter;
  /** SAML sessions' role assumption (createSamlAssumption); absent where none can arrive. */
  saml?: RoleAssumption;
  /** The clock (shared/clock.ts) of the web identity mint and the console link. */
  clock?: Clock;
}) => {
  const { config } = deps;
  const consoleSignin = createConsoleSignin({
    fetch: deps.fetch,
    federationEndpoint: config.federationEndpoint,
    issuerUrl: config.publicBaseUrl,
    timeoutMs: FEDERATION_TIMEOUT_MS,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  const saml: RoleAssumption =
    deps.saml ??
    (async () => {
      throw new GatewayMisconfiguredError('this function does not serve SAML sessions');
    });
  return createAwsAccess({
    assume: {
      saml,
      oidc: createWebIdentityAssumption({
        config,
        sts: deps.sts,
        signingKeys: deps.signingKeys,
        log: deps.log,
        ...(deps.clock ? { clock: deps.clock } : {}),
      }),
    },
    consoleUrl: (credentials, destination, sessionDurationSeconds) =>
      consoleSignin.buildSigninUrl({ credentials, destination, sessionDurationSeconds }),
    log: deps.log,
    meter: deps.meter ?? defaultMeter,
  });
};
