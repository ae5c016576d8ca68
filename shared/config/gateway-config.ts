import {
  checkRoleArn,
  checkSessionName,
  checkSourceIdentity,
  checkTagKey,
  checkTagValue,
  DURATION_MAX_SECONDS,
  DURATION_MIN_SECONDS,
  MAX_SESSION_TAGS,
} from '../aws-rules.js';
import * as z from '../zod.js';
import { checkEntraAllowClaim, checkSubjectClaim } from './claim-trust.js';
import { AllowConditionSchema, ClaimNameSchema, DenyConditionSchema } from './conditions.js';
import { checkPatternSyntax } from './pattern-syntax.js';

export {
  AllowConditionSchema,
  ClaimNameSchema,
  type Condition,
  DenyConditionSchema,
  isValueCondition,
  type PresenceCondition,
  type ValueCondition,
} from './conditions.js';

/**
 * The gateway config file (JSON or YAML): upstream IdPs, their mapping rules and account aliases.
 * It is what the local runner loads, what `cdk deploy` seeds into the attribute table and what the
 * admin CLI validates. Every object is strict: an unknown key is an error, because a typo in a
 * security setting must not be silently ignored.
 */

const violation =
  (check: (v: string) => string | undefined) =>
  (value: string, ctx: z.core.$RefinementCtx<string>) => {
    const why = check(value);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  };

/** IdP ids appear in URLs (`/saml/{idp}/acs`) and table keys: lowercase, digits, dashes. */
export const IdpIdSchema = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/,
      'lowercase letters, digits and inner dashes, 1-40 characters',
    ),
  );

/** Rule ids appear in table sort keys and logs. */
export const RuleIdSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
      'letters, digits, "_", "." and "-", 1-64 characters',
    ),
  );

/**
 * A template: literal text with `{claims.<name>}`, `{subject}`, `{idp}` or `{issuer}` placeholders.
 * `{{` and `}}` stand for literal braces.
 */
export const TEMPLATE_PLACEHOLDER =
  /\{(claims\.[^{}]{1,256}|directory\.[^{}]{1,246}|subject|idp|issuer)\}/g;
export const TemplateSchema = z.string().check(
  z.minLength(1),
  z.maxLength(1024),
  z.superRefine((value, ctx) => {
    const rest = value.replaceAll('{{', '').replaceAll('}}', '').replace(TEMPLATE_PLACEHOLDER, '');
    if (/[{}]/.test(rest)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'unknown placeholder: use {claims.<name>}, {directory.<name>}, {subject}, {idp} or {issuer} ({{ and }} for literal braces)',
      });
    }
  }),
);

const isTemplated = (value: string) =>
  /\{(claims\.|directory\.|subject\}|idp\}|issuer\})/.test(value.replaceAll('{{', ''));

/** How a multi-valued claim becomes one tag value (session tags are single-valued). */
export const MultiValueSchema = z.enum(['join', 'first', 'reject']);

/**
 * How a multi-valued tag (a groups list) is kept within AWS's budget: one tag value holds 256
 * characters and a session at most 50 tags. Applied in this order, deterministically, whatever
 * the number of values: `prefixes` / `pattern` / `onlyMentioned` keep only some values, then
 * `shortNames` replaces each value by its group's `shortName` directory attribute, then the
 * values (deduplicated, sorted) are joined; with `spread` they are spread over numbered tags
 * `<key>1`…`<key>N` (never splitting a value) instead of one tag. What still does not fit fails
 * the grant: a tag is never truncated (shared/mapping/README.md §7a).
 */
export const TagFitSchema = z.strictObject({
  /** Keep only values that start with one of these (compared as sent). */
  prefixes: z.optional(
    z
      .array(z.string().check(z.minLength(1), z.maxLength(256)))
      .check(z.minLength(1), z.maxLength(20)),
  ),
  /** Keep only values that fully match this RE2 pattern (the syntax of `matches`). */
  pattern: z.optional(
    z.string().check(
      z.minLength(1),
      z.superRefine((value, ctx) => {
        const why = checkPatternSyntax(value, false);
        if (why) ctx.addIssue({ code: 'custom', message: why });
      }),
    ),
  ),
  /** Keep only values that a rule of this IdP compares the same claim with (equals, startsWith). */
  onlyMentioned: z._default(z.boolean(), false),
  /** Replace each value by the `shortName` directory attribute of its group, where it has one. */
  shortNames: z._default(z.boolean(), false),
  /** Spread the joined values over numbered tags `<key>1`…`<key>N`, N ≤ `maxTags`. */
  spread: z.optional(
    z.strictObject({ maxTags: z.int().check(z.minimum(1), z.maximum(MAX_SESSION_TAGS)) }),
  ),
});

export const SessionTagSchema = z.union([
  TemplateSchema,
  z.strictObject({
    value: TemplateSchema,
    /** `join` (default): dedupe, sort, join with `separator`; `first`: first value sorted; `reject`: deny. */
    multiValue: z._default(MultiValueSchema, 'join'),
    separator: z._default(z.enum([':', '/', '+', '=', '.', '_', '-', '@', ' ']), ':'),
    /** When a claim in the template is missing: omit this tag (true) or refuse the grant (false). */
    optional: z._default(z.boolean(), false),
    /** The budget policy for a multi-valued placeholder (the template must be that one placeholder). */
    fit: z.optional(TagFitSchema),
  }),
]);

export const GrantSchema = z
  .strictObject({
    roleArn: z.string().check(z.superRefine(violation(checkRoleArn))),
    label: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    sessionDurationSeconds: z.optional(
      z.int().check(z.minimum(DURATION_MIN_SECONDS), z.maximum(DURATION_MAX_SECONDS)),
    ),
    sessionName: z.optional(TemplateSchema),
    sourceIdentity: z.optional(TemplateSchema),
    sessionTags: z._default(z.record(z.string(), SessionTagSchema), {}),
    transitiveTagKeys: z._default(z.array(z.string()), []),
  })
  .check(
    z.superRefine((g, ctx) => {
      const keys = Object.keys(g.sessionTags);
      if (keys.length > MAX_SESSION_TAGS) {
        ctx.addIssue({
          code: 'custom',
          path: ['sessionTags'],
          message: `at most ${MAX_SESSION_TAGS} session tags`,
        });
      }
      const seen = new Map<string, string>();
      for (const key of keys) {
        const why = checkTagKey(key);
        if (why) ctx.addIssue({ code: 'custom', path: ['sessionTags', key], message: why });
        const folded = key.toLowerCase();
        const other = seen.get(folded);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['sessionTags', key],
            message: `tag keys are case-insensitive in AWS: "${key}" duplicates "${other}"`,
          });
        }
        seen.set(folded, key);
        const tag = g.sessionTags[key];
        if (typeof tag === 'object' && tag.fit !== undefined) {
          if (!/^\{(claims|directory)\.[^{}]+\}$/.test(tag.value)) {
            ctx.addIssue({
              code: 'custom',
              path: ['sessionTags', key, 'value'],
              message: 'a tag with fit is one placeholder: {claims.<name>} or {directory.<name>}',
            });
          }
          if (tag.multiValue !== 'join') {
            ctx.addIssue({
              code: 'custom',
              path: ['sessionTags', key, 'fit'],
              message: 'fit applies to multiValue join',
            });
          }
        }
        const literal = typeof tag === 'string' ? tag : tag?.value;
        if (literal !== undefined && !isTemplated(literal)) {
          const whyValue = checkTagValue(literal.replaceAll('{{', '{').replaceAll('}}', '}'));
          if (whyValue)
            ctx.addIssue({ code: 'custom', path: ['sessionTags', key], message: whyValue });
        }
      }
      g.transitiveTagKeys.forEach((key, i) => {
        if (!keys.some((k) => k.toLowerCase() === key.toLowerCase())) {
          ctx.addIssue({
            code: 'custom',
            path: ['transitiveTagKeys', i],
            message: `"${key}" is not one of this grant's session tags`,
          });
        }
      });
      for (const [field, check] of [
        ['sessionName', checkSessionName],
        ['sourceIdentity', checkSourceIdentity],
      ] as const) {
        const value = g[field];
        if (value !== undefined && !isTemplated(value)) {
          const why = check(value);
          if (why) ctx.addIssue({ code: 'custom', path: [field], message: why });
        }
      }
    }),
  );

const RuleBase = {
  id: RuleIdSchema,
  /** Lower runs first. Two allow rules granting the same role: the lower priority's grant wins. */
  priority: z.int().check(z.minimum(0), z.maximum(999_999)),
  description: z.optional(z.string().check(z.maxLength(512))),
};
const MAX_CONDITIONS = 32;

export const AllowRuleSchema = z.strictObject({
  ...RuleBase,
  effect: z.literal('allow'),
  /** All must hold. An empty list always holds (use with care: everyone from this IdP). */
  when: z.array(AllowConditionSchema).check(z.maxLength(MAX_CONDITIONS)),
  grant: GrantSchema,
});
export const DenyRuleSchema = z.strictObject({
  ...RuleBase,
  effect: z.literal('deny'),
  /** All must hold. An empty list always holds: the deny applies to everyone. */
  when: z.array(DenyConditionSchema).check(z.maxLength(MAX_CONDITIONS)),
  /** Roles this deny applies to; absent: every role (the person gets nothing from this IdP). */
  roleArns: z.optional(
    z.array(z.string().check(z.superRefine(violation(checkRoleArn)))).check(z.minLength(1)),
  ),
});
export const RuleSchema = z.discriminatedUnion('effect', [AllowRuleSchema, DenyRuleSchema]);

/** A PEM certificate body or PEM block; whitespace is ignored. */
const CertificateSchema = z.pipe(
  z.pipe(
    z.string(),
    z.transform((s) => s.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '')),
  ),
  z
    .string()
    .check(z.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'a base64 (PEM) X.509 certificate'), z.minLength(64)),
);

export const SamlIdpSettingsSchema = z
  .strictObject({
    /** The IdP's metadata XML. */
    metadataXml: z.optional(z.string().check(z.minLength(1), z.maxLength(1_000_000))),
    /** In a config file only: a path (relative to the file) that the file loaders read into `metadataXml`. */
    metadataFile: z.optional(z.string().check(z.minLength(1))),
    /** Or the fields themselves: these win over what the metadata says. */
    entityId: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
    ssoUrl: z.optional(z.url({ protocol: /^https?$/ })),
    signingCertificates: z.optional(
      z.array(CertificateSchema).check(z.minLength(1), z.maxLength(4)),
    ),
    /** Accept a response whose Response is signed but whose Assertion is not. Off: both Okta and Entra sign the assertion. */
    allowUnsignedAssertion: z._default(z.boolean(), false),
    /**
     * IdP-initiated sign-in (an Okta tile, Entra "My Apps"). An unsolicited response can be posted
     * by any site (login CSRF: the victim signed in as the attacker), so by default (`confirm`) the
     * person sees who they are signing in as and confirms it on fedgate's own page; `allow` skips
     * that (the IdP's tile is trusted to be the only way in: accept the risk knowingly); `deny`
     * accepts only responses to fedgate's own AuthnRequests (no tile).
     */
    idpInitiated: z._default(z.enum(['confirm', 'allow', 'deny']), 'confirm'),
    /** Entra ID: tenant ids allowed in the tenantid claim / issuer. */
    allowedTenants: z.optional(z.array(z.string().check(z.minLength(1)))),
    /** Longest accepted age of AuthnInstant. */
    maxAuthnAgeSeconds: z.optional(z.int().check(z.positive(), z.maximum(86_400))),
  })
  .check(
    z.refine(
      (s) =>
        s.metadataXml !== undefined ||
        (s.entityId !== undefined && s.signingCertificates !== undefined),
      { message: 'give metadataXml, or entityId and signingCertificates' },
    ),
  );

/** Where a secret lives: a reference, never the secret itself. */
export const SecretRefSchema = z
  .string()
  .check(
    z.regex(
      /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+|ssm:\/.+|env:[A-Z_][A-Z0-9_]*|file:.+)$/,
      'a secret reference: arn:aws:secretsmanager:…, ssm:/param, env:NAME or file:path',
    ),
  );

/**
 * Where a private key fedgate signs with lives (as `SIGNING_KEY_REF`): a KMS asymmetric RSA key
 * (`kms:alias/…`, `kms:arn:aws:kms:…:key/…` or `:alias/…`, `kms:<key id>`) or a PEM bundle
 * holding a PKCS#8 private key and its certificate (`file:path`, local runner and tests).
 */
export const KeyRefSchema = z
  .string()
  .check(
    z.regex(
      /^(kms:(alias\/[A-Za-z0-9/_-]{1,250}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]{1,250}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})|file:.+)$/,
      'a key reference: kms:alias/<name>, kms:<key or alias ARN>, kms:<key id> or file:path',
    ),
  );

/**
 * How fedgate authenticates at the IdP's token endpoint instead of a client secret:
 * `private_key_jwt` (RFC 7523 §2.2, OIDC Core §9), a short-lived JWT signed through fedgate's
 * Signer port (shared/oidc/client-auth.ts). RS256 only: the Signer port signs RSASSA-PKCS1-v1_5
 * with SHA-256, the one algorithm every IdP accepts for client assertions.
 */
export const OidcClientAuthSchema = z.strictObject({
  method: z.literal('private_key_jwt'),
  /** The key that signs the client assertions: its own key, not necessarily fedgate's AWS key. */
  keyRef: KeyRefSchema,
  alg: z._default(z.literal('RS256'), 'RS256'),
  /**
   * The `kid` header (default: the key's own id, as `/oidc/{idp}/jwks.json` publishes it). Set it
   * when the IdP assigned another id to the uploaded key.
   */
  kid: z.optional(z.string().check(z.regex(/^[\x21-\x7e]{1,255}$/))),
});

export const OidcIdpSettingsSchema = z
  .strictObject({
    issuer: z.url({ protocol: /^https?$/ }),
    clientId: z.string().check(z.minLength(1), z.maxLength(512)),
    /** client_secret_basic (or _post when that is all the IdP lists). Exclusive with `clientAuth`. */
    clientSecretRef: z.optional(SecretRefSchema),
    /** private_key_jwt. Exclusive with `clientSecretRef`; neither: a public client (`none`). */
    clientAuth: z.optional(OidcClientAuthSchema),
    /** Which quirks apply: Entra tenants and overage, Okta authorization servers, Google's hd. */
    profile: z._default(z.enum(['generic', 'okta', 'entra', 'google']), 'generic'),
    scopes: z._default(z.array(z.string().check(z.regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/))), [
      'openid',
      'email',
      'profile',
    ]),
    idTokenSignedResponseAlg: z._default(
      z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA']),
      'RS256',
    ),
    allowedTenants: z.optional(z.array(z.string().check(z.minLength(1)))),
    allowedHostedDomains: z.optional(z.array(z.string().check(z.minLength(1)))),
    maxAuthAgeSeconds: z.optional(z.int().check(z.positive(), z.maximum(86_400))),
  })
  .check(
    z.superRefine((s, ctx) => {
      if (s.clientSecretRef !== undefined && s.clientAuth !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['clientAuth'],
          message: 'give clientSecretRef or clientAuth (private_key_jwt), not both',
        });
      }
    }),
  );

/** Where rules read directory data: `directory.<name>` (shared/directory/README.md). */
export const DirectoryNameSchema = z
  .string()
  .check(z.regex(/^directory\.[A-Za-z0-9_.:-]{1,245}$/, 'directory.<name>, e.g. directory.groups'));

const ACCOUNT_ID = /^\d{12}$/;

/**
 * An IdP's directory: people, groups, memberships and operator-set attributes in the attribute
 * table (`DIR#<idp>#…`), fed by SCIM 2.0 from the IdP and by `fedgate-admin attributes`, read by
 * rules and tags as `directory.*` (shared/directory/README.md).
 */
export const DirectorySettingsSchema = z.strictObject({
  /** The IdP's provisioning client at `/scim/v2/<idp>`: its bearer token, by reference. */
  scim: z.optional(
    z.strictObject({
      /** Where the token lives (never the token): at least 32 characters, compared hashed. */
      tokenRef: SecretRefSchema,
      /** Requests per second (per container) this IdP's client may make; more get 429. */
      requestsPerSecond: z._default(z.int().check(z.minimum(1), z.maximum(1000)), 50),
    }),
  ),
  /**
   * How a SCIM user is keyed: the sign-in subject is `prefix` + its `externalId` (lower-cased with
   * `lowercase`), so map the IdP's immutable user id to externalId (Okta: the user id; Entra:
   * objectId, with prefix `<tenant id>/` for OIDC sign-ins, whose subject is `<tid>/<oid>`).
   */
  subject: z.prefault(
    z.strictObject({
      prefix: z._default(z.string().check(z.maxLength(128)), ''),
      lowercase: z._default(z.boolean(), false),
    }),
    {},
  ),
  /**
   * Sign-in needs an active user in the directory (default): a person the IdP no longer
   * provisions gets nothing, even with a valid upstream sign-in.
   */
  requireProvisioned: z._default(z.boolean(), true),
  /**
   * Which source wins for a claim the rules read: `token` (the directory fills in when the token
   * lacks it), `directory` (the token fills in), or `union`. Deny rules always read the union.
   */
  claims: z._default(
    z.record(
      ClaimNameSchema,
      z.strictObject({
        from: DirectoryNameSchema,
        prefer: z.enum(['token', 'directory', 'union']),
      }),
    ),
    {},
  ),
  /** Deprovisioning (a SCIM delete or `active: false`) always ends the person's fedgate sessions. */
  deprovisioning: z.prefault(
    z.strictObject({
      /** Also deny the person's live AWS sessions at IAM (the kill switch) in these accounts. */
      awsKillSwitch: z.optional(
        z.strictObject({
          accounts: z
            .array(z.string().check(z.regex(ACCOUNT_ID, 'a 12-digit AWS account id')))
            .check(z.minLength(1), z.maxLength(50)),
          partition: z._default(z.enum(['aws', 'aws-cn', 'aws-us-gov']), 'aws'),
        }),
      ),
    }),
    {},
  ),
  /**
   * How long a container keeps the IdP's group list (names, nesting, group attributes) before
   * re-reading it; a person's own directory data is read at every sign-in and session use.
   */
  cacheSeconds: z._default(z.int().check(z.minimum(0), z.maximum(300)), 15),
});
export type DirectorySettings = z.output<typeof DirectorySettingsSchema>;

const IdpBase = {
  id: IdpIdSchema,
  displayName: z.string().check(z.minLength(1), z.maxLength(128)),
  /** Claim used as the immutable subject (default: the protocol's subject, i.e. NameID or `sub`). */
  subjectClaim: z.optional(ClaimNameSchema),
  /** Short name → the IdP's claim names, e.g. `groups: [http://schemas.microsoft.com/ws/2008/06/identity/claims/groups]`. */
  claimAliases: z._default(
    z.record(ClaimNameSchema, z.array(ClaimNameSchema).check(z.minLength(1))),
    {},
  ),
  /** Show on the home page. */
  listed: z._default(z.boolean(), true),
  /**
   * fedgate sessions started through this IdP (portal, SPA, CLI): their longest life (default
   * 8 h, 15 min to 7 days; a SAML SessionNotOnOrAfter shortens it) and how long one may sit
   * unused (default 2 h). Lowering either shortens live sessions too: every use re-checks them.
   */
  session: z.prefault(
    z
      .strictObject({
        maxSeconds: z._default(z.int().check(z.minimum(900), z.maximum(604_800)), 28_800),
        idleSeconds: z._default(z.int().check(z.minimum(300), z.maximum(604_800)), 7_200),
      })
      .check(
        z.refine((s) => s.idleSeconds <= s.maxSeconds, {
          message: 'idleSeconds must not exceed maxSeconds',
          path: ['idleSeconds'],
        }),
      ),
    {},
  ),
  rules: z._default(z.array(RuleSchema).check(z.maxLength(10_000)), []),
  /** The IdP's directory (SCIM provisioning, `directory.*` in rules); absent: none. */
  directory: z.optional(DirectorySettingsSchema),
};

export const IdpConfigSchema = z
  .discriminatedUnion('protocol', [
    z.strictObject({ ...IdpBase, protocol: z.literal('saml'), saml: SamlIdpSettingsSchema }),
    z.strictObject({ ...IdpBase, protocol: z.literal('oidc'), oidc: OidcIdpSettingsSchema }),
  ])
  .check(
    z.superRefine((idp, ctx) => {
      const subjectProblem = checkSubjectClaim(idp);
      if (subjectProblem) {
        ctx.addIssue({ code: 'custom', path: ['subjectClaim'], message: subjectProblem });
      }
      // `directory.*` names come from the directory only: a claim of that name would pass for it.
      const reserved = 'is reserved for directory data (directory.<name>)';
      if (idp.subjectClaim?.startsWith('directory.')) {
        ctx.addIssue({ code: 'custom', path: ['subjectClaim'], message: reserved });
      }
      for (const alias of Object.keys(idp.claimAliases)) {
        if (alias.startsWith('directory.')) {
          ctx.addIssue({ code: 'custom', path: ['claimAliases', alias], message: reserved });
        }
      }
      for (const claim of Object.keys(idp.directory?.claims ?? {})) {
        if (claim.startsWith('directory.')) {
          ctx.addIssue({ code: 'custom', path: ['directory', 'claims', claim], message: reserved });
        }
      }
      const ids = new Set<string>();
      idp.rules.forEach((rule, i) => {
        if (rule.effect === 'allow') {
          rule.when.forEach((c, j) => {
            const why = checkEntraAllowClaim(idp, c.claim, rule.id);
            if (why)
              ctx.addIssue({
                code: 'custom',
                path: ['rules', i, 'when', j, 'claim'],
                message: why,
              });
          });
        }
        if (ids.has(rule.id))
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'id'],
            message: `duplicate rule id "${rule.id}"`,
          });
        ids.add(rule.id);
      });
    }),
  );

export const AccountProfileSchema = z.strictObject({
  id: z.string().check(z.regex(/^\d{12}$/, 'a 12-digit AWS account id')),
  alias: z.string().check(z.minLength(1), z.maxLength(64)),
  description: z.optional(z.string().check(z.maxLength(256))),
  /**
   * Take the account out of service: no rule grants a role in it (every sign-in and every use of
   * a live session re-evaluates, so it takes effect at the next use), as if a deny named them all.
   */
  disabled: z.optional(z.boolean()),
});

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * A single-page app that may sign people in through fedgate and redeem AWS credentials in the
 * browser (shared/spa). `return_to` must be exactly `origin` + one of `returnPaths` (no query, no
 * fragment); `POST /credentials` answers CORS for exactly `origin`.
 */
export const SpaClientSchema = z.strictObject({
  /** Sent by the SPA as `client_id`. */
  id: z
    .string()
    // The session cookie is `__Host-fedgate-spa-<id>` (a cookie name ≤ 64 characters here) and
    // `__Host-fedgate-spa-login` is the login-binding cookie: 60 characters at most, not `login`.
    .check(
      z.regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'lowercase letters, digits and dashes, 1-60'),
      z.refine((id) => id !== 'login', '"login" is reserved (the login-binding cookie)'),
    ),
  displayName: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  /** The SPA's origin, exactly (scheme, host, port): https, or http on loopback only. */
  origin: z.pipe(
    z.string().check(
      z.superRefine((v, ctx) => {
        // One issue per field: the first thing wrong with it.
        const u = URL.canParse(v) ? new URL(v) : undefined;
        const why = !u
          ? 'Invalid URL'
          : u.origin !== v.replace(/\/$/, '') || u.pathname !== '/' || u.search || u.hash
            ? 'an origin only: scheme://host[:port], no path, query or fragment'
            : u.protocol !== 'https:' &&
                !(u.protocol === 'http:' && LOOPBACK_HOSTS.includes(u.hostname))
              ? 'must be https (plain http only on 127.0.0.1/localhost)'
              : undefined;
        if (why) ctx.addIssue({ code: 'custom', message: why });
      }),
    ),
    z.transform((v) => new URL(v).origin),
  ),
  /** Paths under `origin` the browser may be sent back to, compared exactly. */
  returnPaths: z
    .array(
      z.string().check(z.regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/%-]{0,255}$/, 'an absolute path')),
    )
    .check(z.minLength(1), z.maxLength(20)),
  /** Upper bound of a fedgate session of this SPA (refresh without a new login until then). */
  sessionMaxSeconds: z._default(
    z.int().check(z.minimum(300), z.maximum(DURATION_MAX_SECONDS)),
    28_800,
  ),
  /**
   * The roles this SPA may obtain, as role ARNs or account ids (`111111111111`: every role of that
   * account); absent: whatever the rules grant. A grant outside the list is never offered to it.
   */
  allowedRoles: z.optional(
    z
      .array(
        z.string().check(
          z.superRefine((v, ctx) => {
            if (/^\d{12}$/.test(v)) return;
            const why = checkRoleArn(v);
            if (why) ctx.addIssue({ code: 'custom', message: `a 12-digit account id or ${why}` });
          }),
        ),
      )
      .check(z.minLength(1), z.maxLength(500)),
  ),
  /**
   * Where a refused sign-in returns (under `origin`, with `?error=<code>&state=<the SPA's state>`);
   * default: the first of `returnPaths`. The person is never stranded on fedgate.
   */
  errorPath: z.optional(
    z.string().check(z.regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/%-]{0,255}$/, 'an absolute path')),
  ),
});

/** Who people contact when fedgate refuses them: shown on every error page. */
export const SupportContactSchema = z.strictObject({
  text: z.string().check(z.minLength(1), z.maxLength(200)),
  url: z.optional(
    z
      .string()
      .check(
        z.refine((v) => /^(https:|mailto:)/.test(v) && URL.canParse(v), 'an https: or mailto: URL'),
      ),
  ),
});

/** AWS regions, e.g. eu-west-1 (a region choice is a console URL parameter and an env var). */
const RegionSchema = z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region'));

/** The access portal's choices: the regions offered for the console and access keys. */
export const PortalSettingsSchema = z
  .strictObject({
    regions: z._default(z.array(RegionSchema).check(z.minLength(1), z.maxLength(40)), [
      'us-east-1',
      'us-east-2',
      'us-west-2',
      'eu-west-1',
      'eu-central-1',
      'ap-southeast-2',
    ]),
    /** Preselected; default the first of `regions`. */
    defaultRegion: z.optional(RegionSchema),
  })
  .check(
    z.refine((p) => p.defaultRegion === undefined || p.regions.includes(p.defaultRegion), {
      message: 'defaultRegion must be one of regions',
      path: ['defaultRegion'],
    }),
  );

/** What the gateway-wide settings item holds (`GATEWAY` / `SETTINGS`). */
export const GatewaySettingsSchema = z.strictObject({
  portal: z.prefault(PortalSettingsSchema, {}),
  support: z.optional(SupportContactSchema),
});

export const GatewayConfigSchema = z
  .strictObject({
    $schema: z.optional(z.string()),
    version: z.literal(1),
    defaults: z.prefault(
      z.strictObject({
        sessionDurationSeconds: z._default(
          z.int().check(z.minimum(DURATION_MIN_SECONDS), z.maximum(DURATION_MAX_SECONDS)),
          3600,
        ),
        /** Template for RoleSessionName when a grant has none. */
        sessionName: z._default(TemplateSchema, '{subject}'),
      }),
      {},
    ),
    accounts: z._default(z.array(AccountProfileSchema), []),
    /**
     * Deny rules for every IdP, evaluated with each IdP's own rules (a deny wins whatever its
     * priority): a person denied a role here gets it through no IdP.
     */
    gatewayRules: z
      ._default(z.array(DenyRuleSchema).check(z.maxLength(1000)), [])
      .check(
        z.describe(
          "Deny rules that apply to every IdP, with the same condition semantics as an IdP's deny rules (a deny wins whatever its priority). A condition on a claim an IdP never sends holds for everyone from that IdP (fail closed).",
        ),
      ),
    idps: z.array(IdpConfigSchema).check(z.minLength(1)),
    spaClients: z._default(z.array(SpaClientSchema).check(z.maxLength(100)), []),
    /** Shown on error pages: who to contact, e.g. `{ text: 'Platform team', url: 'https://…' }`. */
    support: z.optional(SupportContactSchema),
    /** The access portal: the regions offered for the console and access keys. */
    portal: z.prefault(PortalSettingsSchema, {}),
  })
  .check(
    z.superRefine((cfg, ctx) => {
      const idps = new Set<string>();
      cfg.idps.forEach((idp, i) => {
        if (idps.has(idp.id))
          ctx.addIssue({
            code: 'custom',
            path: ['idps', i, 'id'],
            message: `duplicate IdP id "${idp.id}"`,
          });
        idps.add(idp.id);
      });
      const gatewayRuleIds = new Set<string>();
      cfg.gatewayRules.forEach((rule, i) => {
        if (gatewayRuleIds.has(rule.id))
          ctx.addIssue({
            code: 'custom',
            path: ['gatewayRules', i, 'id'],
            message: `duplicate gateway rule id "${rule.id}"`,
          });
        gatewayRuleIds.add(rule.id);
      });
      const accounts = new Set<string>();
      cfg.accounts.forEach((a, i) => {
        if (accounts.has(a.id))
          ctx.addIssue({
            code: 'custom',
            path: ['accounts', i, 'id'],
            message: `duplicate account "${a.id}"`,
          });
        accounts.add(a.id);
      });
      const spas = new Set<string>();
      cfg.spaClients.forEach((c, i) => {
        if (spas.has(c.id))
          ctx.addIssue({
            code: 'custom',
            path: ['spaClients', i, 'id'],
            message: `duplicate SPA client "${c.id}"`,
          });
        spas.add(c.id);
      });
    }),
  );

export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;
export type GatewayConfig = z.output<typeof GatewayConfigSchema>;
export type IdpConfig = z.output<typeof IdpConfigSchema>;
export type SamlIdpConfig = Extract<IdpConfig, { protocol: 'saml' }>;
export type OidcIdpConfig = Extract<IdpConfig, { protocol: 'oidc' }>;
export type Rule = z.output<typeof RuleSchema>;
export type AllowRule = z.output<typeof AllowRuleSchema>;
export type DenyRule = z.output<typeof DenyRuleSchema>;
export type GrantTemplate = z.output<typeof GrantSchema>;
export type SessionTagSpec = z.output<typeof SessionTagSchema>;
export type TagFit = z.output<typeof TagFitSchema>;
export type AccountProfile = z.output<typeof AccountProfileSchema>;
export type GatewayDefaults = GatewayConfig['defaults'];
export type SpaClient = z.output<typeof SpaClientSchema>;
export type SupportContact = z.output<typeof SupportContactSchema>;
export type GatewaySettings = z.output<typeof GatewaySettingsSchema>;
