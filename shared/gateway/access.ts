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
 * The `saml` role assumption of a function that serves no SAML sessions (the OIDC callback, the
 * SPA's credentials): chosen by name where the function is composed, so nothing is left out by
 * omission. A SAML session reaching it is refused as a misconfiguration (500, fail closed).
 * @throws server_error (GatewayMisconfiguredError), always.
 */
export const servesNoSamlSessions: RoleAssumption = async (_grant, person) => {
  throw new GatewayMisconfiguredError(
    `a SAML session of ${person.idp} reached a function that serves none`,
  );
};

/**
 * AWS access with AWS behind it: OIDC sessions' grants are minted as fedgate's own web identity
 * token and exchanged with AssumeRoleWithWebIdentity; SAML sessions' grants go through `saml`
 * (createSamlAssumption: fedgate's own assertion, AssumeRoleWithSAML) in the functions that serve
 * SAML sessions, and {@link servesNoSamlSessions} in the others, so the OIDC callback bundles no
 * XML stack. The console link comes
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
  /**
   * SAML sessions' role assumption: createSamlAssumption, or {@link servesNoSamlSessions} for a
   * function no SAML session reaches (which then bundles no XML stack).
   */
  saml: RoleAssumption;
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
  return createAwsAccess({
    assume: {
      saml: deps.saml,
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
