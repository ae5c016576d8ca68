import type { IdpConfig } from '../config/index.js';
import { GatewayMisconfiguredError } from '../http/errors.js';
import { applyDirectory, type Identity } from '../mapping/index.js';
import { DirectoryUserInactiveError, DirectoryUserNotProvisionedError } from './errors.js';
import { buildDirectoryFacts, MAX_TRANSITIVE_GROUPS } from './facts.js';
import type { DirectoryReader } from './reader.js';

/**
 * Joins the IdP's directory to a verified identity before the rules run, at sign-in and at every
 * use of a session (shared/directory/README.md):
 * - an IdP without a directory: the identity as it is (its `directory.*` claims read as missing);
 * - the person is not in the directory: refused when the IdP requires provisioning or the token
 *   left out the groups (overage), else rules see no `directory.*` values;
 * - deactivated (`active: false`): refused;
 * - otherwise `applyDirectory`: `directory.*` values, the IdP's `directory.claims` merges, and an
 *   overage's groups filled from the directory.
 * @throws directory_user_not_provisioned (403), directory_user_inactive (403), server_error
 * (more transitive groups than fedgate resolves), temporarily_unavailable.
 */
export const createDirectoryJoin =
  (read: DirectoryReader) =>
  async (idp: IdpConfig, identity: Identity): Promise<Identity> => {
    const settings = idp.directory;
    if (!settings) return identity;
    const overage = (identity.groupsOverage?.length ?? 0) > 0;
    const { person, groups } = await read(idp.id, identity.subject, settings.cacheSeconds);
    if (!person.user) {
      if (settings.requireProvisioned || overage) {
        throw new DirectoryUserNotProvisionedError(
          `idp ${idp.id}: no directory user for this subject${overage ? ' (its groups came as an overage)' : ''}`,
        );
      }
    } else if (!person.user.active) {
      throw new DirectoryUserInactiveError(
        `idp ${idp.id}: directory user ${person.user.id} is inactive`,
      );
    }
    const facts = buildDirectoryFacts(person, groups);
    if (facts === undefined) {
      throw new GatewayMisconfiguredError(
        `idp ${idp.id}: a person's memberships reach more than ${MAX_TRANSITIVE_GROUPS} groups`,
      );
    }
    return applyDirectory(identity, facts, settings.claims);
  };

export type DirectoryJoin = ReturnType<typeof createDirectoryJoin>;
