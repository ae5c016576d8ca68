import { type Clock, systemClock } from '../clock.js';
import type { RuntimeConfig } from '../config/index.js';
import type { RoleAssumption } from '../handback/index.js';
import { createWebIdentityMinter, type SigningKeys } from '../issuer/index.js';
import type { Log } from '../log.js';
import { createRoleAssumer, type StsPort } from '../sts/index.js';
import { webIdentityIssuer } from './signing.js';

/**
 * The `oidc` RoleAssumption: fedgate's web identity token (through the same SigningKeys as SAML,
 * `iss` = the published issuer, `aud` = WEB_IDENTITY_AUDIENCE, `sub` bound to the grant's role)
 * → AssumeRoleWithWebIdentity for that same role. The
 * hand-back uses it for OIDC sign-ins; the SPA's `POST /credentials` uses it alone.
 */
export const createWebIdentityAssumption = (deps: {
  config: RuntimeConfig;
  sts: StsPort;
  signingKeys: SigningKeys;
  log: Log;
  /** The clock (shared/clock.ts): the token's iat/exp; default the system's. */
  clock?: Clock;
}): RoleAssumption => {
  const clock = deps.clock ?? systemClock;
  // Built on first use: a bad issuer/audience fails the OIDC hand-back, not every SAML sign-in.
  let minter: ReturnType<typeof createWebIdentityMinter> | undefined;
  const assumer = createRoleAssumer({ sts: deps.sts, log: deps.log });
  return async (grant, person) => {
    minter ??= createWebIdentityMinter({
      signingKeys: deps.signingKeys,
      issuer: webIdentityIssuer(deps.config),
      audience: deps.config.webIdentityAudience,
    });
    const minted = await minter.mint({
      grant,
      // The token's sub is `<grant.roleArn>#<subjectRef>`: bound to this grant's role, whose trust
      // policy admits only `<its ARN>#*`; the person part is opaque (CloudTrail logs it).
      subject: person.subjectRef,
      now: clock(),
    });
    return assumer.assumeRoleWithWebIdentity({
      roleArn: grant.roleArn,
      roleSessionName: grant.sessionName,
      webIdentityToken: minted.token,
      durationSeconds: grant.durationSeconds,
    });
  };
};
