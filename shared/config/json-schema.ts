import * as z from 'zod';
import { GatewayConfigSchema } from './gateway-config.js';

/** A JSON Schema node, as far as this module reads and writes it. */
interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  description?: string;
  pattern?: string;
  type?: string;
}

// An IAM role ARN as checkRoleArn (shared/aws-rules.ts) accepts it: partition, 12-digit
// account, optional path, name ≤ 64; never a "," (the SAML Role attribute's separator) and never
// an IAM Identity Center role (AWSReservedSSO_*), which SAML and web identity cannot assume.
const ROLE_ARN_PATTERN =
  '^arn:(aws|aws-cn|aws-us-gov):iam::\\d{12}:role/(?:[\\x21-\\x2b\\x2d-\\x7e]{1,510}/)?(?!AWSReservedSSO_)[\\w+=.@-]{1,64}$';
const ACCOUNT_ID_PATTERN = '^\\d{12}$';

/**
 * Editor help for every key of the config file (hover text), by where the key sits: `[]` is an
 * item of a list, `*` a value of a map. Rules are written once and placed at both lists.
 */
const RULE_DOCS: Record<string, string> = {
  id: 'The rule\'s id: letters, digits, "_", "." and "-", 1-64 characters, unique in its list. It appears in table keys, logs and `fedgate-admin explain`.',
  priority:
    "Evaluation order, 0-999999: lower runs first. Of two allow rules granting the same role, the lower priority's grant wins; a deny wins whatever its priority.",
  description: 'What the rule is for (up to 512 characters).',
  effect:
    'allow: grant the role when every condition holds. deny: take roles away when every condition holds.',
  when: 'Conditions that must all hold (at most 32). An empty list always holds: for an allow, everyone from the IdP; for a deny, everyone.',
  roleArns:
    'Deny rules: the roles this deny takes away (role ARNs). Absent: every role, so the person gets nothing.',
  grant:
    'Allow rules: the role granted, and the session it gets (name, source identity, tags, duration).',
  'grant.roleArn':
    'The IAM role: arn:aws:iam::<account>:role/<optional path/><name>. Not an IAM Identity Center role (AWSReservedSSO_*), no ",".',
  'grant.label': 'What people see for this grant on the role picker (default: the role name).',
  'grant.sessionDurationSeconds':
    "This grant's session length, 900-43200 seconds (default: defaults.sessionDurationSeconds); the role's MaxSessionDuration must allow it.",
  'grant.sessionName':
    'Template of the RoleSessionName (default: defaults.sessionName): literal text with {claims.<name>}, {subject}, {idp}, {issuer}.',
  'grant.sourceIdentity':
    'Template of the SourceIdentity, which AWS keeps on every session chained from this one and records in CloudTrail.',
  'grant.sessionTags':
    'Session tags for ABAC, at most 50: tag key → a template, or { value, multiValue, separator, optional }. Keys are case-insensitive in AWS.',
  'grant.sessionTags.*.value':
    'The tag value: literal text with {claims.<name>}, {subject}, {idp} or {issuer}.',
  'grant.sessionTags.*.multiValue':
    'A claim with several values: join (default; deduplicated, sorted, joined with separator), first (the first value, sorted) or reject (refuse the grant).',
  'grant.sessionTags.*.separator': 'What joins several values with multiValue join (default ":").',
  'grant.sessionTags.*.optional':
    'A claim of the template missing: leave this tag out (true) or refuse the grant (false, the default).',
  'grant.transitiveTagKeys':
    "Session tags that stay on role chaining: keys of this grant's sessionTags.",
};

const DOCS: Record<string, string> = {
  $schema: 'The JSON Schema this file follows, for editors. fedgate ignores it.',
  version: 'The config format version: 1.',
  defaults: 'Values for the grants that set none.',
  'defaults.sessionDurationSeconds':
    "Session length of a grant that sets none, 900-43200 seconds (default 3600); the role's MaxSessionDuration must allow it.",
  'defaults.sessionName':
    'Template of the RoleSessionName of a grant that sets none (default "{subject}"): literal text with {claims.<name>}, {subject}, {idp}, {issuer}.',
  accounts:
    'Names for AWS accounts, shown with their roles; an account can be taken out of service.',
  'accounts[].id': 'The 12-digit AWS account id.',
  'accounts[].alias': 'The short name people see for the account, e.g. production.',
  'accounts[].description': 'Shown beside the alias (up to 256 characters).',
  'accounts[].disabled':
    'Take the account out of service: no rule grants a role in it, and live sessions lose its roles at their next use.',
  gatewayRules:
    "Deny rules for every IdP, evaluated with each IdP's own rules (a deny wins whatever its priority). A condition on a claim an IdP never sends holds for everyone from that IdP (fail closed).",
  idps: 'The upstream identity providers people sign in with (at least one).',
  'idps[].id':
    "fedgate's id for the IdP: lowercase letters, digits and inner dashes, 1-40 characters. It is in the IdP's URLs (/saml/<id>/acs) and table keys: a new id is a new IdP.",
  'idps[].displayName': "The IdP's name on the home page's sign-in button.",
  'idps[].subjectClaim':
    'The claim that holds the immutable subject (default: the SAML NameID or the OIDC sub). Never an email or UPN: users and admins can change those.',
  'idps[].claimAliases':
    "Short names for the IdP's claim names, e.g. groups: [http://schemas.microsoft.com/ws/2008/06/identity/claims/groups]. Rules and templates use the short names.",
  'idps[].listed': 'Show the IdP on the home page (default true).',
  'idps[].session': 'The fedgate sessions started through this IdP (portal, SPA, CLI).',
  'idps[].session.maxSeconds':
    "A session's longest life, 900-604800 seconds (default 28800); a SAML SessionNotOnOrAfter shortens it. Lowering it shortens live sessions too.",
  'idps[].session.idleSeconds':
    'How long a session may sit unused, 300-604800 seconds (default 7200), at most maxSeconds.',
  'idps[].rules': "The IdP's rules, evaluated together with gatewayRules.",
  'idps[].protocol': 'saml (with saml settings) or oidc (with oidc settings).',
  'idps[].saml':
    'How fedgate trusts this SAML IdP: its metadata (metadataXml or metadataFile), or its entityId and signingCertificates.',
  'idps[].saml.metadataXml': "The IdP's metadata XML.",
  'idps[].saml.metadataFile':
    'In a config file only: the path of the metadata XML, relative to this file; read into metadataXml when the file is loaded.',
  'idps[].saml.entityId': "The IdP's entity id (the responses' Issuer); wins over the metadata's.",
  'idps[].saml.ssoUrl':
    "Where fedgate sends people with its AuthnRequest (HTTP-Redirect binding); wins over the metadata's.",
  'idps[].saml.signingCertificates':
    "The IdP's signing certificates, PEM or base64, RSA of 2048 bits or more, 1-4 (several during a rollover); win over the metadata's.",
  'idps[].saml.allowUnsignedAssertion':
    'Accept a signed Response whose Assertion is not signed (default false: Okta and Entra ID sign the assertion).',
  'idps[].saml.idpInitiated':
    "Sign-in started at the IdP (an app tile): confirm (default; the person confirms who they sign in as, against login CSRF), allow (no confirmation: the tile is trusted to be the only way in) or deny (only answers to fedgate's own requests).",
  'idps[].saml.allowedTenants':
    'Entra ID: the tenant ids whose users may sign in (the tenantid claim and the issuer).',
  'idps[].saml.maxAuthnAgeSeconds':
    'Refuse a response whose AuthnInstant is older than this, 1-86400 seconds.',
  'idps[].oidc': 'How fedgate signs people in through this OpenID provider (code flow with PKCE).',
  'idps[].oidc.issuer':
    'The issuer URL; its /.well-known/openid-configuration must state exactly this issuer.',
  'idps[].oidc.clientId': "fedgate's client id at the provider.",
  'idps[].oidc.clientSecretRef':
    'Where the client secret lives, never the secret: arn:aws:secretsmanager:…, ssm:/param, env:NAME or file:path. Not with clientAuth.',
  'idps[].oidc.clientAuth':
    'private_key_jwt instead of a client secret. With neither, fedgate is a public client.',
  'idps[].oidc.clientAuth.method':
    'private_key_jwt (RFC 7523): fedgate authenticates with a short-lived JWT signed with keyRef.',
  'idps[].oidc.clientAuth.keyRef':
    'The key that signs the client assertions: kms:alias/<name>, kms:<key or alias ARN>, kms:<key id>, or file:path.',
  'idps[].oidc.clientAuth.alg': 'The client assertion algorithm: RS256.',
  'idps[].oidc.clientAuth.kid':
    "The assertion's kid header (default: the key's own id, as /oidc/<idp>/jwks.json publishes it).",
  'idps[].oidc.profile':
    "The provider's quirks: generic (default), okta, entra (tenants, group overage) or google (the hd claim).",
  'idps[].oidc.scopes': 'The scopes asked for (default openid, email, profile).',
  'idps[].oidc.idTokenSignedResponseAlg':
    'The algorithm the provider signs ID tokens with (default RS256).',
  'idps[].oidc.allowedTenants': 'Entra ID: the tenant ids whose users may sign in (the tid claim).',
  'idps[].oidc.allowedHostedDomains':
    'Google: the Workspace domains (the hd claim) whose users may sign in.',
  'idps[].oidc.maxAuthAgeSeconds':
    'Refuse an ID token whose auth_time is older than this, 1-86400 seconds.',
  spaClients:
    'Single-page apps that sign people in through fedgate and get AWS credentials in the browser.',
  'spaClients[].id':
    'The SPA\'s client_id: lowercase letters, digits and dashes, 1-60; not "login".',
  'spaClients[].displayName': "The SPA's name, shown to people signing in to it.",
  'spaClients[].origin':
    "The SPA's origin, exactly (scheme://host[:port]): https, or http on 127.0.0.1/localhost only.",
  'spaClients[].returnPaths':
    'The paths under origin the browser may be sent back to, compared exactly (1-20).',
  'spaClients[].sessionMaxSeconds':
    'The longest fedgate session of this SPA, 300-43200 seconds (default 28800).',
  'spaClients[].allowedRoles':
    'The roles this SPA may obtain: role ARNs, or 12-digit account ids for every role of the account. Absent: whatever the rules grant.',
  'spaClients[].errorPath':
    'Where a refused sign-in returns, under origin, with ?error=<code>&state=… (default: the first of returnPaths).',
  support: 'Who people contact when fedgate refuses them: shown on every error page.',
  'support.text': 'e.g. "Platform team, #aws-access" (up to 200 characters).',
  'support.url': 'An https: or mailto: link.',
  portal: "The access portal's choices.",
  'portal.regions': 'The AWS regions offered for the console and access keys (1-40).',
  'portal.defaultRegion': 'The region preselected; one of regions (default: the first).',
  ...Object.fromEntries(
    Object.entries(RULE_DOCS).flatMap(([key, text]) => [
      [`gatewayRules[].${key}`, text],
      [`idps[].rules[].${key}`, text],
    ]),
  ),
};

/** Patterns a JSON Schema can say for values the zod schema checks in code. */
const PATTERNS: Record<string, string> = {
  'idps[].rules[].grant.roleArn': ROLE_ARN_PATTERN,
  'idps[].rules[].roleArns[]': ROLE_ARN_PATTERN,
  'gatewayRules[].roleArns[]': ROLE_ARN_PATTERN,
  'spaClients[].allowedRoles[]': `(${ACCOUNT_ID_PATTERN})|(${ROLE_ARN_PATTERN})`,
};

/** Adds the descriptions and patterns above, walking the schema by key path. */
const annotate = (node: SchemaNode, path: string): void => {
  for (const branch of [...(node.oneOf ?? []), ...(node.anyOf ?? []), ...(node.allOf ?? [])]) {
    annotate(branch, path);
  }
  if (path !== '' && DOCS[path] !== undefined && node.description === undefined) {
    node.description = DOCS[path];
  }
  const pattern = PATTERNS[path];
  if (pattern !== undefined && node.type === 'string') node.pattern = pattern;
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    annotate(child, path === '' ? key : `${path}.${key}`);
  }
  if (node.items) annotate(node.items, `${path}[]`);
  if (typeof node.additionalProperties === 'object') {
    annotate(node.additionalProperties, `${path}.*`);
  }
};

/**
 * The published JSON Schema of the gateway config file (the input shape: defaults optional),
 * generated from the zod schema so the two cannot drift, with a description of every key (the
 * hover help of editors) and patterns for role ARNs (ids, account ids and references carry
 * theirs from the zod schema). Editors use it through the file's `$schema` / yaml-language-server
 * comment. Checks a JSON Schema cannot express (AWS value rules, duplicate ids, unsafe regexes,
 * certificate syntax) are enforced by fedgate when it loads a file.
 */
export const buildGatewayConfigJsonSchema = (): Record<string, unknown> => {
  const schema = z.toJSONSchema(GatewayConfigSchema, {
    io: 'input',
    unrepresentable: 'any',
  }) as SchemaNode & Record<string, unknown>;
  annotate(schema, '');
  return {
    ...schema,
    title: 'fedgate gateway config',
    description:
      'Upstream IdPs, their mapping rules and account aliases for fedgate (see the README).',
  };
};
