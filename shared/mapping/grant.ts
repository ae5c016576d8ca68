import { createHash } from 'node:crypto';
import {
  checkDuration,
  checkRoleArn,
  checkSourceIdentity,
  parseRoleArn,
  type RoleArnParts,
} from '../aws-rules.js';
import type { AccountProfile, AllowRule, GatewayDefaults } from '../config/index.js';
import { buildSessionName } from './session-name.js';
import { compileSessionTags } from './session-tags.js';
import { subjectRefOf } from './subject-ref.js';
import {
  compileTemplate,
  isTemplateFailure,
  renderTemplate,
  singleValue,
  type Template,
  type TemplateFailure,
} from './template.js';
import type { Grant, Identity } from './types.js';

/** IdP ids as the config schema allows them: they never contain `.`, the namespace separator. */
const IDP_ID = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/**
 * The opaque, stable id of a grant: base64url of the first 16 bytes of SHA-256 of
 * `<idp>\n<roleArn>`. It is what a role picker posts, so the ARN never travels in a form.
 * @example buildGrantId('okta', 'arn:aws:iam::111122223333:role/Admin') // 22 characters
 */
export const buildGrantId = (idp: string, roleArn: string): string =>
  createHash('sha256')
    .update(`${idp}\n${roleArn}`, 'utf8')
    .digest()
    .subarray(0, 16)
    .toString('base64url');

/**
 * Which role an ARN names, for denies and shadowing: IAM role names are unique per account
 * ignoring case and path, so `role/Admin` and `role/ops/admin` are one role. Comparing on this
 * key makes a deny fail closed against a differently spelled ARN.
 */
export const roleKeyOf = (
  roleArn: string,
  parts: RoleArnParts | undefined = parseRoleArn(roleArn),
): string =>
  parts
    ? `${parts.partition}:${parts.accountId}:${parts.name.toLowerCase()}`
    : `unparsed:${roleArn.toLowerCase()}`;

/** A grant rendered for one identity, or every reason it cannot be issued. */
export type GrantOutcome =
  | { readonly ok: true; readonly grant: Grant }
  | { readonly ok: false; readonly problems: readonly string[] };

/** An allow rule's grant prepared once (templates parsed, account alias looked up). */
export interface CompiledGrant {
  readonly roleArn: string;
  readonly roleKey: string;
  render(identity: Identity): GrantOutcome;
}

/** A template, or the reason it does not parse (rules that bypassed the schema). */
const tryCompile = (source: string): Template | string => {
  try {
    return compileTemplate(source);
  } catch (err) {
    return (err as Error).message;
  }
};

/**
 * Prepares an allow rule's grant. Per identity it renders, in this order of fields:
 * - session name: `grant.sessionName ?? defaults.sessionName`; a missing claim falls back to
 *   `defaults.sessionName`, then to the subject; a multi-valued claim fails the grant; the result
 *   is `<idp>.` + the sanitised value (see `buildSessionName`);
 * - source identity: always set. Without a template `<idp>.<subjectRef>` (`subjectRefOf`); with
 *   one `<idp>.<rendered>`, where a missing or multi-valued claim, or a result failing
 *   `checkSourceIdentity`, fails the grant (it is for authorisation and audit: rejected, never
 *   altered);
 * - session tags: see `compileSessionTags` (a tag templated from `{subject}` is `<idp>.`-prefixed);
 * - duration: `grant.sessionDurationSeconds ?? defaults.sessionDurationSeconds`, checked.
 *
 * The label is literal text (`grant.label ?? role name`), the account id comes from the ARN and
 * the alias from the account profiles.
 */
export const compileGrant = (
  rule: AllowRule,
  defaults: GatewayDefaults,
  accounts: ReadonlyMap<string, AccountProfile>,
): CompiledGrant => {
  const { grant } = rule;
  const arn = parseRoleArn(grant.roleArn);
  const configProblems: string[] = [];
  const roleProblem = arn ? undefined : checkRoleArn(grant.roleArn);
  if (roleProblem) configProblems.push(`role ARN: ${roleProblem}`);

  const sessionName = grant.sessionName === undefined ? undefined : tryCompile(grant.sessionName);
  const defaultSessionName = tryCompile(defaults.sessionName);
  const sourceIdentity =
    grant.sourceIdentity === undefined ? undefined : tryCompile(grant.sourceIdentity);
  for (const [field, t] of [
    ['session name', sessionName],
    ['default session name', defaultSessionName],
    ['source identity', sourceIdentity],
  ] as const) {
    if (typeof t === 'string') configProblems.push(`${field}: ${t}`);
  }
  const tags = compileSessionTags(grant.sessionTags, grant.transitiveTagKeys);
  configProblems.push(...tags.problems);
  const durationSeconds = grant.sessionDurationSeconds ?? defaults.sessionDurationSeconds;
  const durationProblem = checkDuration(durationSeconds);
  if (durationProblem) configProblems.push(`session duration: ${durationProblem}`);
  const accountAlias = arn ? accounts.get(arn.accountId)?.alias : undefined;
  const label = grant.label ?? arn?.name ?? grant.roleArn;

  /** `undefined` when a template does not parse: already in `configProblems`. */
  const renderSessionName = (identity: Identity): string | TemplateFailure | undefined => {
    if (typeof sessionName === 'string' || typeof defaultSessionName === 'string') return undefined;
    let rendered = renderTemplate(sessionName ?? defaultSessionName, identity, singleValue);
    if (isTemplateFailure(rendered) && rendered.kind === 'missing' && sessionName !== undefined) {
      rendered = renderTemplate(defaultSessionName, identity, singleValue);
    }
    // The subject is always there: a session name never fails for want of a claim.
    if (isTemplateFailure(rendered) && rendered.kind === 'missing') rendered = identity.subject;
    return isTemplateFailure(rendered)
      ? rendered
      : buildSessionName(identity.idp, rendered, identity.subject);
  };

  // The id hashes (IdP, role ARN): the same for every identity of one IdP, so a compiled rule
  // set (one per IdP config) hashes it once instead of at every use of every session.
  let lastId: { idp: string; id: string } | undefined;
  const grantIdFor = (idp: string): string => {
    if (lastId?.idp !== idp) lastId = { idp, id: buildGrantId(idp, grant.roleArn) };
    return lastId.id;
  };

  return {
    roleArn: grant.roleArn,
    roleKey: roleKeyOf(grant.roleArn, arn),
    render: (identity) => {
      // Config problems (already in `configProblems`) cannot be fixed by any identity, but the
      // identity-dependent reasons are still gathered so explain shows the whole picture.
      const problems = [...configProblems];
      const name = renderSessionName(identity);
      if (name !== undefined && isTemplateFailure(name)) {
        problems.push(`session name: ${name.reason}`);
      }

      // Everything that names the person at AWS is namespaced by the IdP: the id must be one.
      const validIdp = IDP_ID.test(identity.idp);
      if (!validIdp) problems.push('identity: its IdP id is not a valid IdP id');

      // Always set, so that AWS keeps who this is through role chaining (and a revocation can
      // name it): by default the subject reference the sign-in logs.
      let source: string | undefined;
      if (sourceIdentity === undefined) {
        source = `${identity.idp}.${subjectRefOf(identity.idp, identity.subject)}`;
      } else if (typeof sourceIdentity !== 'string') {
        const rendered = renderTemplate(sourceIdentity, identity, singleValue);
        if (isTemplateFailure(rendered)) {
          problems.push(`source identity: ${rendered.reason}`);
        } else if (rendered === '') {
          // `<idp>.` alone would be valid for AWS, and the same for everyone from that IdP.
          problems.push('source identity: the template renders to nothing');
        } else {
          const namespaced = `${identity.idp}.${rendered}`;
          const why = checkSourceIdentity(namespaced);
          if (why) problems.push(`source identity: ${why} (as "<idp>.<value>")`);
          else source = namespaced;
        }
      }

      const rendered = tags.render(identity);
      problems.push(...rendered.problems);

      if (problems.length > 0 || arn === undefined || typeof name !== 'string' || !validIdp) {
        return { ok: false, problems };
      }
      return {
        ok: true,
        grant: {
          id: grantIdFor(identity.idp),
          ruleId: rule.id,
          roleArn: grant.roleArn,
          accountId: arn.accountId,
          ...(accountAlias !== undefined ? { accountAlias } : {}),
          label,
          durationSeconds,
          sessionName: name,
          sourceIdentity: source as string,
          tags: rendered.tags,
          transitiveTagKeys: rendered.transitiveTagKeys,
        },
      };
    },
  };
};
