import { isDeepStrictEqual } from 'node:util';
import { IdpConfigSchema, type SamlIdpConfig } from '../../../shared/config/index.js';
import { GatewayError } from '../../../shared/http/errors.js';
import { compileSamlTrust, parseIdpMetadata } from '../../../shared/saml/trust.js';
import { BINDING_REDIRECT } from '../../../shared/xml/index.js';
import {
  COMMON_OPTIONS,
  type Command,
  type CommandContext,
  TARGET_HELP,
  VAR_HELP,
  YES_HELP,
  YES_OPTION,
} from '../command.js';
import { openSource, saveSource } from '../config-source.js';
import { createTableGuard } from '../consent.js';
import { describeSave, findIdp, idpEntries } from '../edits.js';
import { CliFailure, UsageError } from '../errors.js';
import { fetchText, parseFetchUrl, readTextRef } from '../fetch-text.js';
import { TARGET_OPTIONS } from '../target.js';

const ENTRA_SAML_ISSUER = /^https:\/\/sts\.windows\.net\/([0-9a-fA-F-]{36})\/$/;
const ENTRA_OIDC_ISSUER = /^https:\/\/login\.microsoftonline\.com\/([0-9a-fA-F-]{36})\/v2\.0$/;
const OKTA_SAML_ISSUER = /^https?:\/\/www\.okta\.com\//;

/** Which vendor's shape an IdP has; decides the defaults import-idp writes. */
export type IdpProfile = 'okta' | 'entra' | 'google' | 'generic';

/** Entra ID's claim URIs under the short names rules use (as in the demo config). */
export const ENTRA_SAML_ALIASES = {
  email: ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'],
  groups: ['http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'],
  roles: ['http://schemas.microsoft.com/ws/2008/06/identity/claims/role'],
  tenantId: ['http://schemas.microsoft.com/identity/claims/tenantid'],
};
export const ENTRA_OBJECT_ID_CLAIM =
  'http://schemas.microsoft.com/identity/claims/objectidentifier';
/** The attribute the Okta setup in the README maps from `user.id` (Okta's immutable user id). */
export const OKTA_USER_ID_CLAIM = 'oktaUserId';

const DISPLAY_NAMES: Record<IdpProfile, string | undefined> = {
  okta: 'Okta',
  entra: 'Microsoft Entra ID',
  google: 'Google',
  generic: undefined,
};

interface ImportPlan {
  protocol: 'saml' | 'oidc';
  profile: IdpProfile;
  /** The new IdP entry (used when the IdP is added). */
  entry: Record<string, unknown>;
  /** The protocol settings that replace the old ones on --update (other keys are kept). */
  settings: Record<string, unknown>;
  summary: Record<string, unknown>;
  notes: string[];
}

const failMetadata = (err: unknown): never => {
  if (err instanceof GatewayError) {
    throw new CliFailure('invalid_metadata', err.detail ?? err.description, { cause: err });
  }
  throw err;
};

const planSaml = async (ctx: CommandContext, id: string, ref: string): Promise<ImportPlan> => {
  const xml = await readTextRef(ctx.io, ref, ctx.resolvePath, 'metadata');
  const metadata = (() => {
    try {
      return parseIdpMetadata(xml);
    } catch (err) {
      return failMetadata(err);
    }
  })();
  if (metadata.signingCertificates.length === 0) {
    throw new CliFailure('invalid_metadata', 'the metadata has no signing certificate');
  }
  if (metadata.signingCertificates.length > 4) {
    throw new CliFailure(
      'invalid_metadata',
      `the metadata has ${metadata.signingCertificates.length} signing certificates (fedgate takes at most 4)`,
    );
  }
  const entra = ENTRA_SAML_ISSUER.exec(metadata.entityId);
  const profile: IdpProfile = entra
    ? 'entra'
    : OKTA_SAML_ISSUER.test(metadata.entityId)
      ? 'okta'
      : 'generic';
  const ssoUrl = metadata.singleSignOnServices.find(
    (s) => s.binding === BINDING_REDIRECT,
  )?.location;
  const notes: string[] = [];
  const settings: Record<string, unknown> = {
    entityId: metadata.entityId,
    signingCertificates: metadata.signingCertificates,
    ...(ssoUrl ? { ssoUrl } : {}),
  };
  if (!ssoUrl)
    notes.push('no HTTP-Redirect SingleSignOnService: only IdP-initiated sign-in will work');
  const subjectClaim =
    (ctx.values['subject-claim'] as string | undefined) ??
    (profile === 'entra'
      ? ENTRA_OBJECT_ID_CLAIM
      : profile === 'okta'
        ? OKTA_USER_ID_CLAIM
        : undefined);
  const entry: Record<string, unknown> = {
    id,
    displayName: (ctx.values['display-name'] as string | undefined) ?? DISPLAY_NAMES[profile] ?? id,
    protocol: 'saml',
    ...(subjectClaim ? { subjectClaim } : {}),
    saml: {
      ...settings,
      ...(entra ? { allowedTenants: [(entra[1] as string).toLowerCase()] } : {}),
    },
    ...(profile === 'entra' ? { claimAliases: ENTRA_SAML_ALIASES } : {}),
    rules: [],
  };
  if (profile === 'entra') {
    notes.push(
      `Entra ID: tenant ${entra?.[1]} allowlisted, subject = the object id, claim aliases email/groups/roles/tenantId`,
    );
  }
  if (profile === 'okta' && !ctx.values['subject-claim']) {
    notes.push(
      `Okta: subject = the attribute "${OKTA_USER_ID_CLAIM}"; add the attribute statement ${OKTA_USER_ID_CLAIM} = user.id in Okta (the NameID/email is mutable)`,
    );
  }
  if (profile === 'generic' && !subjectClaim) {
    notes.push(
      'subject = the NameID: set --subject-claim to an immutable attribute if the NameID is an email',
    );
  }
  // Compile the trust anchor as the gateway will at cold start: certificates must be RSA ≥ 2048.
  const parsed = IdpConfigSchema.safeParse(entry);
  if (!parsed.success) {
    throw new CliFailure(
      'invalid_metadata',
      `the metadata gives an invalid IdP: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  let certificates: { sha256: string; subject: string; validTo: string }[] = [];
  try {
    certificates = compileSamlTrust(parsed.data as SamlIdpConfig).certificates.map((c) => ({
      sha256: c.sha256,
      subject: c.subject,
      validTo: c.validTo,
    }));
  } catch (err) {
    failMetadata(err);
  }
  return {
    protocol: 'saml',
    profile,
    entry,
    settings,
    notes,
    summary: { entityId: metadata.entityId, ssoUrl: ssoUrl ?? null, certificates },
  };
};

const ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;

const planOidc = async (
  ctx: CommandContext,
  id: string,
  issuerText: string,
): Promise<ImportPlan> => {
  const clientId = ctx.required('client-id');
  const issuerUrl = parseFetchUrl(issuerText, '--oidc-issuer');
  const discoveryUrl = new URL(
    `${issuerText.replace(/\/+$/, '')}/.well-known/openid-configuration`,
  );
  const body = await fetchText(ctx.io, discoveryUrl, 'discovery');
  let discovery: Record<string, unknown>;
  try {
    discovery = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new CliFailure('invalid_discovery', `${discoveryUrl.href} is not JSON`);
  }
  if (discovery === null || typeof discovery !== 'object') {
    throw new CliFailure('invalid_discovery', `${discoveryUrl.href} is not a JSON object`);
  }
  // OpenID Connect Discovery 1.0 §4.3: the issuer returned MUST be identical to the one asked.
  if (discovery.issuer !== issuerText) {
    const got = typeof discovery.issuer === 'string' ? discovery.issuer : String(discovery.issuer);
    throw new CliFailure(
      'issuer_mismatch',
      `the discovery document says issuer ${JSON.stringify(got)}, not ${JSON.stringify(issuerText)}${got.includes('{tenantid}') ? " (a multi-tenant template: use your tenant's own issuer, https://login.microsoftonline.com/<tenant id>/v2.0)" : ''}`,
    );
  }
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
    const value = discovery[field];
    if (typeof value !== 'string') {
      throw new CliFailure('invalid_discovery', `the discovery document has no ${field}`);
    }
    try {
      parseFetchUrl(value, field);
    } catch {
      throw new CliFailure('invalid_discovery', `${field} must be an https URL`);
    }
  }
  const notes: string[] = [];
  const pkce = discovery.code_challenge_methods_supported;
  if (Array.isArray(pkce) && !pkce.includes('S256')) {
    throw new CliFailure(
      'invalid_discovery',
      'the provider does not support PKCE S256, which fedgate requires',
    );
  }
  if (!Array.isArray(pkce))
    notes.push('the provider does not advertise PKCE methods; fedgate always sends S256');
  const algs = discovery.id_token_signing_alg_values_supported;
  const alg = Array.isArray(algs) ? ALGS.find((a) => algs.includes(a)) : 'RS256';
  if (alg === undefined) {
    throw new CliFailure(
      'invalid_discovery',
      `the provider signs ID tokens with none of ${ALGS.join(', ')}`,
    );
  }
  const entra = ENTRA_OIDC_ISSUER.exec(issuerText);
  const host = issuerUrl.hostname;
  const profile: IdpProfile =
    (ctx.values.profile as IdpProfile | undefined) ??
    (entra
      ? 'entra'
      : host === 'accounts.google.com'
        ? 'google'
        : /\.okta(preview)?\.com$/.test(host)
          ? 'okta'
          : 'generic');
  const secretRef = ctx.values['client-secret-ref'] as string | undefined;
  const settings: Record<string, unknown> = {
    issuer: issuerText,
    clientId,
    profile,
    ...(secretRef ? { clientSecretRef: secretRef } : {}),
    ...(alg !== 'RS256' ? { idTokenSignedResponseAlg: alg } : {}),
  };
  if (entra) {
    settings.allowedTenants = [(entra[1] as string).toLowerCase()];
    notes.push(`Entra ID: tenant ${entra[1]} allowlisted`);
  }
  if (profile === 'google')
    notes.push('Google: set oidc.allowedHostedDomains to your Workspace domain(s)');
  const subjectClaim = ctx.values['subject-claim'] as string | undefined;
  const entry: Record<string, unknown> = {
    id,
    displayName: (ctx.values['display-name'] as string | undefined) ?? DISPLAY_NAMES[profile] ?? id,
    protocol: 'oidc',
    ...(subjectClaim ? { subjectClaim } : {}),
    oidc: settings,
    rules: [],
  };
  const parsed = IdpConfigSchema.safeParse(entry);
  if (!parsed.success) {
    throw new CliFailure(
      'invalid_idp',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  return {
    protocol: 'oidc',
    profile,
    entry,
    settings,
    notes,
    summary: { issuer: issuerText, jwksUri: discovery.jwks_uri, idTokenSignedResponseAlg: alg },
  };
};

export const importIdpCommand: Command = {
  name: 'import-idp',
  summary: 'add an IdP from SAML metadata (Okta, Entra ID) or an OIDC issuer',
  help: `Usage:
  fedgate-admin import-idp --id ID --metadata FILE|URL [target] [--update] [--dry-run] [--json]
  fedgate-admin import-idp --id ID --oidc-issuer URL --client-id ID [--client-secret-ref REF] [target] …

SAML: reads the IdP's metadata XML (a file, or an https URL such as Okta's
https://<org>.okta.com/app/<app id>/sso/saml/metadata or Entra's
https://login.microsoftonline.com/<tenant>/federationmetadata/2007-06/federationmetadata.xml?appid=…)
and writes its entity id, signing certificates and SSO URL (HTTP-Redirect) into the IdP. The
certificates must be RSA ≥ 2048. The vendor is recognised from the entity id:
  Entra ID (https://sts.windows.net/<tenant>/): the tenant is allowlisted, the subject is the
    object id, and Entra's claim URIs get the aliases email, groups, roles, tenantId;
  Okta (http://www.okta.com/…): the subject is the attribute oktaUserId (map it to user.id).
OIDC: fetches <issuer>/.well-known/openid-configuration, requires its issuer to be identical to
the one given, authorization/token/JWKS endpoints, and PKCE S256 when advertised.

A new IdP has no rules (nobody gets a role until you add some). An existing id is refused unless
--update, which replaces only the trust settings (entity id, certificates, SSO URL; or issuer and
client) and keeps rules, aliases and the rest: use it for certificate rollover. An --update that
changes nothing writes nothing. In a file only the lines of the new IdP (or of the replaced
settings) change: comments and layout elsewhere stay as they are.

Options:
  --id ID                   fedgate's id for the IdP (lowercase, digits, dashes; in its URLs)
  --metadata FILE|URL       SAML metadata XML
  --oidc-issuer URL         OIDC issuer
  --client-id ID            OIDC client id (with --oidc-issuer)
  --client-secret-ref REF   where the client secret lives: arn:aws:secretsmanager:…, ssm:/…, env:NAME
  --profile P               OIDC: okta, entra, google or generic (default: from the issuer)
  --display-name TEXT       shown on the home page (default: the vendor's name, else the id)
  --subject-claim NAME      the claim holding the immutable subject
  --update                  replace the trust settings of an existing IdP
  --dry-run                 validate (and for a table, plan) without writing
${YES_HELP}
${TARGET_HELP}
${VAR_HELP}

Examples:
  fedgate-admin import-idp --id okta --metadata okta-metadata.xml --config gateway.yaml
  fedgate-admin import-idp --id entra --metadata https://login.microsoftonline.com/…/federationmetadata.xml?appid=… --table fedgate-attributes
  fedgate-admin import-idp --id google --oidc-issuer https://accounts.google.com --client-id 123.apps.googleusercontent.com --client-secret-ref ssm:/fedgate/google --config gateway.yaml`,
  options: {
    ...COMMON_OPTIONS,
    ...TARGET_OPTIONS,
    id: { type: 'string' },
    metadata: { type: 'string' },
    'oidc-issuer': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret-ref': { type: 'string' },
    profile: { type: 'string' },
    'display-name': { type: 'string' },
    'subject-claim': { type: 'string' },
    update: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    ...YES_OPTION,
    var: { type: 'string', multiple: true },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const id = ctx.required('id');
    const metadata = ctx.values.metadata as string | undefined;
    const issuer = ctx.values['oidc-issuer'] as string | undefined;
    if ((metadata === undefined) === (issuer === undefined)) {
      throw new UsageError('give exactly one of --metadata and --oidc-issuer', ctx.command);
    }
    for (const oidcOnly of ['client-id', 'client-secret-ref', 'profile']) {
      if (metadata !== undefined && ctx.values[oidcOnly] !== undefined) {
        throw new UsageError(`--${oidcOnly} goes with --oidc-issuer`, ctx.command);
      }
    }
    const profile = ctx.values.profile;
    if (
      profile !== undefined &&
      !['okta', 'entra', 'google', 'generic'].includes(profile as string)
    ) {
      throw new UsageError('--profile: one of okta, entra, google, generic', ctx.command);
    }
    if (!/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/.test(id)) {
      throw new UsageError(
        '--id: lowercase letters, digits and inner dashes, 1-40 characters',
        ctx.command,
      );
    }
    const target = await ctx.openTarget();
    const plan =
      metadata !== undefined
        ? await planSaml(ctx, id, metadata)
        : await planOidc(ctx, id, issuer as string);
    const source = await openSource(target);
    const index = findIdp(source, id);
    let action: 'added' | 'updated' | 'unchanged';
    if (index < 0) {
      source.edit({ op: 'append', path: ['idps'], value: plan.entry });
      action = 'added';
    } else {
      if (!ctx.values.update) {
        throw new CliFailure(
          'idp_exists',
          `IdP "${id}" already exists in the ${target.describe} (--update replaces its trust settings)`,
        );
      }
      const existing = idpEntries(source)[index] as Record<string, unknown>;
      if (existing.protocol !== plan.protocol) {
        throw new CliFailure(
          'idp_exists',
          `IdP "${id}" is ${String(existing.protocol)}, not ${plan.protocol}: remove it from the config first`,
        );
      }
      const path = ['idps', index, plan.protocol];
      const old = (existing[plan.protocol] ?? {}) as Record<string, unknown>;
      for (const [key, value] of Object.entries(plan.settings)) {
        if (key === 'allowedTenants' && old.allowedTenants !== undefined) continue;
        source.edit({ op: 'set', path: [...path, key], value });
      }
      // After the fields are set, so that the mapping never becomes empty on the way.
      for (const key of ['metadataXml', 'metadataFile']) {
        source.edit({ op: 'remove', path: [...path, key] });
      }
      const now = idpEntries(source)[index]?.[plan.protocol];
      action = isDeepStrictEqual(old, now) ? 'unchanged' : 'updated';
    }
    const guard = createTableGuard(ctx);
    const saved = await saveSource(source, {
      dryRun: Boolean(ctx.values['dry-run']),
      vars: ctx.vars,
      guard,
    });
    const summaryLines = Object.entries(plan.summary).map(([k, v]) =>
      k === 'certificates'
        ? `  signing certificates ${(v as { sha256: string; subject: string; validTo: string }[]).map((c) => `\n    sha256 ${c.sha256} (${c.subject.replace(/\n/g, ', ')}; valid to ${c.validTo})`).join('')}`
        : `  ${k.padEnd(20)} ${v === null ? '(none)' : String(v)}`,
    );
    return {
      json: {
        idp: id,
        protocol: plan.protocol,
        profile: plan.profile,
        action,
        ...plan.summary,
        notes: plan.notes,
        saved,
      },
      text: [
        `${plan.protocol.toUpperCase()} IdP "${id}" ${action} (profile ${plan.profile}) in the ${target.describe}`,
        ...summaryLines,
        ...plan.notes.map((n) => `note: ${n}`),
        describeSave(saved, { itemsShown: guard.shown }),
        ...(action === 'added'
          ? [`next: add rules with fedgate-admin rules add --idp ${id} …`]
          : []),
      ].join('\n'),
    };
  },
};
