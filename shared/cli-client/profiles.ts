/**
 * How `fedgate configure` names and writes AWS profiles, shared with the gateway's access keys
 * page (which shows the same profile block): pure, no dependencies.
 */

/** A role as `POST /cli/roles` lists it. */
export interface ProfileRole {
  id: string;
  label: string;
  accountId: string;
  accountAlias?: string;
  roleArn: string;
}

/** The default prefix of the profiles fedgate writes. */
export const DEFAULT_PROFILE_PREFIX = 'fedgate-';

/** `<prefix><account alias or id>-<label>`, reduced to what profile names hold safely. */
export const profileNameOf = (prefix: string, role: ProfileRole): string =>
  `${prefix}${role.accountAlias ?? role.accountId}-${role.label}`
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-+$/g, '');

// What stays a single word for every shell credential_process runs through (botocore's shlex,
// /bin/sh through child_process.exec, cmd.exe): letters, digits and a few marks.
const PLAIN_WORD = /^[A-Za-z0-9_./@:+=,-]+$/;
// Inside double quotes these still mean something to one of those shells.
const NEEDS_ID = /["$`\\%!'\r\n\t]/;

/**
 * How a profile names its role for `fedgate credentials --role`: `<alias or account>/<label>`
 * when exactly one role has that name (ignoring case, as the gateway does on a second try) and
 * it quotes safely, else the role's id. Quoted with double quotes when it holds spaces.
 */
export const roleArgumentOf = (role: ProfileRole, all: readonly ProfileRole[]): string => {
  const nameOf = (r: ProfileRole) => `${r.accountAlias ?? r.accountId}/${r.label}`;
  const name = nameOf(role);
  const same = all.filter((r) => nameOf(r).toLowerCase() === name.toLowerCase()).length;
  if (same !== 1 || NEEDS_ID.test(name)) return role.id;
  return PLAIN_WORD.test(name) ? name : `"${name}"`;
};

/** The first line of every profile fedgate manages (`configure` recognises its own by it). */
export const markerLineOf = (gatewayHost: string): string =>
  `# fedgate: managed profile for ${gatewayHost} (fedgate configure rewrites it)`;

/** Reads the gateway host out of a marker line, or undefined when the line is not one. */
export const markerHostOf = (line: string): string | undefined =>
  /^# fedgate: managed profile for (\S+) \(/.exec(line.trim())?.[1];

/** The lines of one profile (without the marker). */
export const profileLines = (opts: {
  name: string;
  command: string;
  roleArgument: string;
  region: string;
}): string[] => [
  `[profile ${opts.name}]`,
  `credential_process = ${opts.command} credentials --role ${opts.roleArgument}`,
  `region = ${opts.region}`,
];
