import type { RuntimeConfig } from '../config/index.js';
import type { RoleAssumption } from '../handback/index.js';
import { createWebIdentityMinter, type SigningKeys } from '../issuer/index.js';
import type { Log } from '../log.js';
import { createRoleAssumer, type StsPort } from '../sts/index.js';
import { webIdentityIssuer } from './signing.js';

/**
 * The `oidc` RoleAssumption on its own, for functions that need credentials but no console or
 * picker (the SPA's `POST /credentials`): fedgate's web identity token (same minter, same
 * SigningKeys, same issuer and audience as the hand-back's) → AssumeRoleWithWebIdentity.
 */
export const createWebIdentityAssumption = (deps: {
  config: RuntimeConfig;
  sts: StsPort;
  signingKeys: SigningKeys;
  log: Log;
}): RoleAssumption => {
  const minter = createWebIdentityMinter({
    signingKeys: deps.signingKeys,
    issuer: webIdentityIssuer(deps.config),
    audience: deps.config.webIdentityAudience,
  });
  const assumer = createRoleAssumer({ sts: deps.sts, log: deps.log });
  return async (grant, person) => {
    const minted = await minter.mint({ grant, subject: person.subjectRef, now: Date.now() });
    return assumer.assumeRoleWithWebIdentity({
      roleArn: grant.roleArn,
      roleSessionName: grant.sessionName,
      webIdentityToken: minted.token,
      durationSeconds: grant.durationSeconds,
    });
  };
};
