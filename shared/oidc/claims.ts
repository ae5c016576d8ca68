import type { OidcIdpConfig } from '../config/index.js';
import type { Identity } from '../mapping/index.js';
import {
  OidcGroupOverageError,
  OidcHostedDomainNotAllowedError,
  OidcIdTokenInvalidError,
  OidcSubjectInvalidError,
  OidcTenantNotAllowedError,
} from './errors.js';

/** Microsoft's consumer (personal account) tenant: refused unless an IdP lists it explicitly. */
export const ENTRA_CONSUMER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Controls, format characters (zero-width, bidi overrides), lone surrogates and line separators
// never belong in a claim value a rule or a tag reads (the same set as shared/saml/values.ts).
const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
// And in the subject, whitespace anywhere too (Unicode White_Space: NBSP, ideographic space, …).
const NOT_IN_SUBJECT = /[\s\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const MAX_CLAIMS = 200;
const MAX_VALUES = 1000;
const MAX_VALUE_LENGTH = 4096;

type JsonClaims = Readonly<Record<string, unknown>>;

/** One claim's values as strings: strings, finite numbers and booleans; anything else is skipped. */
const valuesOf = (name: string, raw: unknown): string[] | undefined => {
  const items = Array.isArray(raw) ? raw : [raw];
  if (items.length > MAX_VALUES) {
    throw new OidcIdTokenInvalidError(
      `claim ${JSON.stringify(name.slice(0, 64))} has ${items.length} values`,
    );
  }
  const out: string[] = [];
  for (const item of items) {
    let value: string;
    if (typeof item === 'string') value = item;
    else if (typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item)))
      value = String(item);
    else return undefined; // objects (address, _claim_sources…) are not rule material
    if (value.length > MAX_VALUE_LENGTH || CONTROL.test(value)) {
      throw new OidcIdTokenInvalidError(
        `claim ${JSON.stringify(name.slice(0, 64))} has a value that is too long or holds control characters`,
      );
    }
    out.push(value);
  }
  return out;
};

const single = (claims: JsonClaims, name: string): string | undefined => {
  const v = Object.hasOwn(claims, name) ? claims[name] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** The tenant a configured Entra issuer names (`https://login.microsoftonline.com/<tid>/v2.0`), if any. */
const issuerTenant = (issuer: string): string | undefined =>
  new URL(issuer).pathname
    .split('/')
    .map((s) => s.toLowerCase())
    .find((s) => GUID.test(s));

/**
 * Entra ID: `tid` must be allowed (`allowedTenants`, or else the tenant of the configured issuer);
 * the consumer tenant only when listed explicitly; the token's `iss` must name that same tenant
 * (openid-client substitutes `{tenantid}` with the token's own `tid` for multi-tenant issuers, so
 * this allowlist is the only tenant check); group overage is refused unless the IdP has a
 * directory to read the groups from.
 */
const checkEntra = (
  idp: OidcIdpConfig,
  claims: JsonClaims,
): { tid: string; oid: string; overage: boolean } => {
  const tid = single(claims, 'tid')?.toLowerCase();
  const oid = single(claims, 'oid')?.toLowerCase();
  if (!tid || !GUID.test(tid)) throw new OidcTenantNotAllowedError('no tid claim (or not a GUID)');
  const configured = idp.oidc.allowedTenants?.map((t) => t.toLowerCase());
  const allowed = configured ?? [issuerTenant(idp.oidc.issuer)].filter(Boolean);
  if (!allowed.includes(tid))
    throw new OidcTenantNotAllowedError(`tenant ${tid} is not in the allowlist`);
  if (tid === ENTRA_CONSUMER_TENANT && !configured?.includes(tid)) {
    throw new OidcTenantNotAllowedError('the consumer tenant is not listed explicitly');
  }
  const iss = single(claims, 'iss') ?? '';
  if (!URL.canParse(iss) || !new URL(iss).pathname.toLowerCase().split('/').includes(tid)) {
    throw new OidcTenantNotAllowedError(`iss does not name tenant ${tid}`);
  }
  const claimNames = claims._claim_names;
  const overage =
    (typeof claimNames === 'object' &&
      claimNames !== null &&
      Object.hasOwn(claimNames, 'groups')) ||
    claims.hasgroups === true ||
    claims.hasgroups === 'true';
  // Without a directory the groups are known nowhere: refuse, never read as "no groups".
  if (overage && idp.directory === undefined) {
    throw new OidcGroupOverageError(
      'the IdP sent _claim_names.groups (overage) instead of the groups: provision this IdP (directory.scim) so fedgate reads the groups from its directory, or limit the groups emitted to this application',
    );
  }
  if (!oid || !GUID.test(oid)) throw new OidcSubjectInvalidError('no oid claim (or not a GUID)');
  return { tid, oid, overage };
};

/**
 * The subject as fedgate keys the person on it: Okta's user ids exactly as issued
 * (case-sensitive); others in Unicode NFC (one person, one spelling). Whitespace or control
 * characters anywhere — leading, trailing or inner — are refused, never trimmed.
 */
const normaliseSubject = (profile: OidcIdpConfig['oidc']['profile'], subject: string): string => {
  const value = profile === 'okta' ? subject : subject.normalize('NFC');
  const bad = NOT_IN_SUBJECT.exec(value);
  if (bad) {
    const at = (bad[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
    throw new OidcSubjectInvalidError(
      `the subject contains U+${at} (whitespace or a control character): refused, not trimmed`,
    );
  }
  return value;
};

/** Google: `hd` must be an allowed Workspace domain when `allowedHostedDomains` is set. */
const checkGoogle = (idp: OidcIdpConfig, claims: JsonClaims): void => {
  const allowed = idp.oidc.allowedHostedDomains?.map((d) => d.toLowerCase());
  if (allowed === undefined) return;
  const hd = single(claims, 'hd')?.toLowerCase();
  if (!hd || !allowed.includes(hd)) {
    throw new OidcHostedDomainNotAllowedError(
      hd
        ? `hosted domain ${hd} is not in the allowlist`
        : 'no hd claim (a consumer Google account)',
    );
  }
};

/**
 * How the person authenticated, as the ID token says: `acr` (the class, OIDC Core §2) when
 * present, else the `amr` values (RFC 8176 tokens: `pwd`, `mfa`, `hwk`, …) joined by spaces.
 */
const authMethodOf = (claims: JsonClaims): string | undefined => {
  const acr = single(claims, 'acr');
  if (acr !== undefined) return acr;
  const amr = claims.amr;
  if (!Array.isArray(amr)) return undefined;
  const methods = amr.filter((m): m is string => typeof m === 'string' && m !== '');
  return methods.length > 0 ? methods.join(' ') : undefined;
};

/**
 * Turns validated ID token claims into the Identity the mapping engine reads, per IdP profile:
 * - claims: each claim whose values are strings, numbers or booleans (objects are skipped), as
 *   lists of strings; `email` only when the IdP does not say it is unverified (Google: only when
 *   `email_verified` is true); then `idp.claimAliases` as for SAML (the union of the listed
 *   claims, replacing a claim of the alias's name);
 * - subject: `idp.subjectClaim`, else Entra ID's `<tid>/<oid>`, else `sub`; Okta's exactly as
 *   issued, every other in Unicode NFC; whitespace or control characters anywhere → refused;
 * - Entra ID: `oid` and `tid` as canonical lower-case GUIDs in the claims (not GUIDs → refused);
 * - profile checks: Entra tenants and overage, Google `hd`;
 * - authTime: `auth_time`, else `iat`; authMethod: `acr`, else the `amr` values joined by spaces.
 * @throws oidc_tenant_not_allowed, oidc_group_overage, oidc_hosted_domain_not_allowed,
 * oidc_subject_invalid, oidc_id_token_invalid (control characters, too many claims/values).
 */
export const mapOidcIdentity = (idp: OidcIdpConfig, claims: JsonClaims): Identity => {
  const { profile } = idp.oidc;
  const entra = profile === 'entra' ? checkEntra(idp, claims) : undefined;
  if (profile === 'google') checkGoogle(idp, claims);

  const names = Object.keys(claims);
  if (names.length > MAX_CLAIMS) throw new OidcIdTokenInvalidError(`${names.length} claims`);
  const out = new Map<string, readonly string[]>();
  for (const name of names) {
    const values = valuesOf(name, claims[name]);
    if (values) out.set(name, values);
  }
  const verified = claims.email_verified;
  const emailTrusted =
    profile === 'google' ? verified === true : verified !== false && verified !== 'false';
  if (!emailTrusted) out.delete('email');
  if (entra) {
    // Entra compares object and tenant ids case-insensitively: canonical lower case for rules,
    // aliases and subjectClaim alike, so an upper-cased oid is never another person.
    out.set('tid', [entra.tid]);
    out.set('oid', [entra.oid]);
  }

  const sent = new Map(out);
  for (const [alias, sources] of Object.entries(idp.claimAliases)) {
    const values = new Set<string>();
    for (const source of sources) for (const v of sent.get(source) ?? []) values.add(v);
    if (values.size > 0) out.set(alias, [...values]);
    else out.delete(alias);
  }

  let subject: string | undefined;
  if (idp.subjectClaim !== undefined) {
    const values = out.get(idp.subjectClaim);
    if (values?.length !== 1 || values[0] === '') {
      throw new OidcSubjectInvalidError(
        `subject claim ${JSON.stringify(idp.subjectClaim)} has ${values?.length ?? 0} value(s) (want exactly 1, non-empty)`,
      );
    }
    subject = values[0];
  } else {
    subject = entra ? `${entra.tid}/${entra.oid}` : single(claims, 'sub');
  }
  if (!subject) throw new OidcSubjectInvalidError('no sub claim');
  subject = normaliseSubject(profile, subject);
  const authTime = [claims.auth_time, claims.iat].find(
    (t): t is number => typeof t === 'number' && Number.isFinite(t),
  );
  const authMethod = authMethodOf(claims);
  // Overage with a directory: `groups` and its aliases are filled from the directory's
  // memberships when the rules run (shared/directory/join.ts).
  const overage = entra?.overage === true;
  const overageClaims = overage
    ? [
        'groups',
        ...Object.entries(idp.claimAliases)
          .filter(([, sources]) => sources.includes('groups'))
          .map(([alias]) => alias),
      ]
    : [];
  if (overage) out.delete('groups');
  return {
    idp: idp.id,
    issuer: single(claims, 'iss') ?? idp.oidc.issuer,
    subject,
    claims: Object.freeze(Object.fromEntries(out)),
    ...(authTime !== undefined ? { authTime } : {}),
    ...(authMethod !== undefined ? { authMethod } : {}),
    ...(overageClaims.length > 0 ? { groupsOverage: [...new Set(overageClaims)] } : {}),
  };
};
