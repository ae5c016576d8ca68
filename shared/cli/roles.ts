import type { Grant } from '../mapping/index.js';
import { GrantNotAvailableError } from '../session/index.js';
import { CliRoleAmbiguousError } from './errors.js';

/** What the CLI sees of a grant: its opaque id, labels and the role it assumes. */
export interface CliRole {
  id: string;
  label: string;
  accountId: string;
  accountAlias?: string;
  roleArn: string;
  durationSeconds: number;
}

/** A grant as the CLI API shows it (no tag values, no templates). */
export const cliRoleOf = (g: Grant): CliRole => ({
  id: g.id,
  label: g.label,
  accountId: g.accountId,
  ...(g.accountAlias !== undefined ? { accountAlias: g.accountAlias } : {}),
  roleArn: g.roleArn,
  durationSeconds: g.durationSeconds,
});

const MAX_ROLE_LENGTH = 256;

/**
 * The grant a `--role` names among what the CURRENT rules give: its id, its role ARN,
 * `<account alias or id>/<label>`, or a label alone when only one grant has it. Exact matches
 * first, then the same ignoring case.
 * @throws grant_not_available (403) when none matches (a rule removed, a deny added),
 * cli_role_ambiguous (400) when several do, invalid_request for an empty or oversize name.
 */
export const resolveCliRole = (grants: readonly Grant[], wanted: string): Grant => {
  if (wanted === '' || wanted.length > MAX_ROLE_LENGTH) {
    throw new GrantNotAvailableError('role name empty or too long');
  }
  const byId = grants.find((g) => g.id === wanted || g.roleArn === wanted);
  if (byId) return byId;
  const slash = wanted.indexOf('/');
  const names = (g: Grant): string[] =>
    slash < 0
      ? [g.label]
      : [`${g.accountAlias ?? g.accountId}/${g.label}`, `${g.accountId}/${g.label}`];
  for (const fold of [(s: string) => s, (s: string) => s.toLowerCase()]) {
    const found = grants.filter((g) => names(g).some((n) => fold(n) === fold(wanted)));
    if (found.length === 1) return found[0] as Grant;
    if (found.length > 1) {
      throw new CliRoleAmbiguousError(`${found.length} grants are named like the role asked for`);
    }
  }
  throw new GrantNotAvailableError('no current grant is named like the role asked for');
};
