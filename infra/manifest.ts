/**
 * fedgate's functions, declared once: per function (named by its file in functions/) what it
 * serves and everything it may touch in AWS. Everything else is derived from this file:
 *
 * - the routes (infra/routes.ts re-exports `ROUTES` and `FUNCTIONS` from here): the CDK app makes
 *   one API Gateway route per entry, the local runner matches requests the same way;
 * - each function's IAM role (infra/cdk/gateway-stack.ts): the attribute table's config read, its
 *   directory items and the state table's items per action, restricted to the declared key
 *   prefixes with `dynamodb:LeadingKeys`, KMS, secrets and the kill switch's writer roles only
 *   where declared; and the KMS key policy's signers (infra/cdk/data-stack.ts);
 * - bundling (infra/cdk/function-bundling.ts: samlify kept, or XPath stubbed out);
 * - what the function file builds (functions/compose: a function that did not declare a
 *   capability cannot build it; trying fails its cold start);
 * - the local runner's IAM stand-in (infra/local/aws/iam-dynamodb.ts), which refuses every
 *   DynamoDB call a function makes beyond its declaration, as AWS would: every integration and
 *   e2e test that runs through the runner checks least privilege.
 *
 * Adding a function is one entry in {@link MANIFEST} (see infra/cdk/README.md: "Adding a
 * function") and its file in functions/.
 */
import {
  ATTRIBUTE_KEY_PREFIXES,
  STATE_KEY_PREFIXES,
  type StateKeyPrefix,
} from '../shared/store/table-schema.js';

/** API Gateway route key: `METHOD /path/{param}` (PUT, PATCH and DELETE: SCIM's resources). */
export type RouteKey =
  `${'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'} /${string}`;

/**
 * What a function may do on the state table, per key prefix (shared/store/table-schema.ts
 * `STATE_KEY_PREFIXES`). Reads and each kind of write are separate: consuming a single-use item
 * (DeleteItem) does not allow creating one (PutItem), which would forge it.
 */
export interface StateAccess {
  /** GetItem, BatchGetItem (every key of one batch must be under these prefixes). */
  readonly read: readonly StateKeyPrefix[];
  /** PutItem: conditional creates (and the replaces of shared/store `update`). */
  readonly put: readonly StateKeyPrefix[];
  /** UpdateItem: a session's use (`lastUsedAt`, `recent`). */
  readonly update: readonly StateKeyPrefix[];
  /** DeleteItem: consuming a single-use item, ending a session. */
  readonly delete: readonly StateKeyPrefix[];
}

/**
 * The attribute table's key prefixes a function can be granted items of: the directory's
 * (`DIR#<idp>#…`, shared/store/directory-store.ts). Config as code's partitions (`IDP#`,
 * `ACCOUNT#`, `GATEWAY`) are not in this type: no function writes the configuration, and its
 * reads are the whole-table {@link FunctionManifest.attributes} read.
 */
export type AttributeItemPrefix = typeof ATTRIBUTE_KEY_PREFIXES.directory;

/**
 * What a function may do with the attribute table's items per key prefix, beyond reading the
 * config. As on the state table, reads and each kind of write are separate.
 */
export interface AttributeItemAccess {
  /**
   * GetItem, BatchGetItem, Query (a partition: Query names its key, so `LeadingKeys` holds it);
   * never Scan, which names no key. For a function that also reads the config
   * (`attributes: 'read'`) IAM already allows these reads table-wide; the declaration is what
   * lets functions/compose build the directory join (without it an IdP with a directory is
   * refused), and it stays true if the config read is ever narrowed.
   */
  readonly read: readonly AttributeItemPrefix[];
  /** PutItem. */
  readonly put: readonly AttributeItemPrefix[];
  /** UpdateItem. */
  readonly update: readonly AttributeItemPrefix[];
  /** DeleteItem. */
  readonly delete: readonly AttributeItemPrefix[];
  /**
   * BatchWriteItem: puts and deletes 25 at a time. IAM grants both with the one action, so a
   * prefix here must also be in `put` and `delete` (checked when this module loads).
   */
  readonly batchWrite: readonly AttributeItemPrefix[];
}

/** One function's declaration. */
export interface FunctionManifest {
  /** What it serves, in one sentence (the Lambda description, the docs). */
  readonly summary: string;
  /** Its API Gateway routes; each route key belongs to exactly one function. */
  readonly routes: readonly RouteKey[];
  /** Reads fedgate's configuration from the attribute table (GetItem, BatchGetItem, Query, Scan). */
  readonly attributes: 'read' | 'none';
  /** Its attribute-table item access per key prefix (the directory); all lists empty for none. */
  readonly attributeItems: AttributeItemAccess;
  /** Its state-table access; all lists empty for none. Scan and Query are never granted on it. */
  readonly state: StateAccess;
  readonly kms: {
    /**
     * Signs with fedgate's AWS signing keys (kms:Sign, kms:GetPublicKey on the stage's keys, and
     * named by the keys' policy): assertions and web identity tokens, and every published key's
     * self-signed certificate (shared/issuer/kms-signing-keys.ts).
     */
    readonly fedgateKeys: boolean;
    /** Signs private_key_jwt client assertions with the gateway config's client keys. */
    readonly clientKeys: boolean;
  };
  /**
   * Secret references it resolves (`arn:aws:secretsmanager:`, `ssm:`) through the AWS Parameters
   * and Secrets Lambda Extension: with either, the layer; each kind its own read grants.
   */
  readonly secrets: {
    /** The IdPs' OIDC client secrets (`oidc.clientSecretRef`) and the stage's `oidcSecrets`. */
    readonly oidcClients: boolean;
    /** The IdPs' SCIM bearer tokens (`directory.scim.tokenRef`), and nothing else. */
    readonly scimTokens: boolean;
  };
  /**
   * Applies the AWS kill switch (shared/directory/README.md): may assume
   * `fedgate-revocation-writer` in the accounts of every IdP's
   * `directory.deprovisioning.awsKillSwitch` (sts:AssumeRole on exactly those roles).
   */
  readonly killSwitch: boolean;
  readonly bundling: {
    /** Bundles samlify (SP metadata, AuthnRequests), so its XPath engine stays real. */
    readonly samlify: boolean;
  };
}

const P = STATE_KEY_PREFIXES;
const DIR = ATTRIBUTE_KEY_PREFIXES.directory;
const NO_STATE: StateAccess = { read: [], put: [], update: [], delete: [] };
const NO_ITEMS: AttributeItemAccess = { read: [], put: [], update: [], delete: [], batchWrite: [] };
/** Sign-in functions join the person's directory (shared/directory/join.ts) to the rules. */
const JOINS_DIRECTORY: AttributeItemAccess = { ...NO_ITEMS, read: [DIR] };
const NO_KMS = { fedgateKeys: false, clientKeys: false } as const;
const NO_SECRETS = { oidcClients: false, scimTokens: false } as const;
const PLAIN_BUNDLE = { samlify: false } as const;

/**
 * Every function of the gateway. Key prefixes name what the code does (shared/store,
 * shared/session, shared/signin, shared/spa, shared/oidc, shared/saml): the runner's IAM stand-in
 * refuses anything else, so a new use fails the integration tests until it is declared here.
 */
export const MANIFEST = {
  home: {
    summary: 'GET /: the access portal for a signed-in person, the IdP list for anyone else',
    routes: ['GET /'],
    attributes: 'read',
    attributeItems: JOINS_DIRECTORY,
    // Reads the session and its revocation marks; writes nothing (not even the idle timer).
    state: { ...NO_STATE, read: [P.session, P.revoked] },
    kms: NO_KMS,
    secrets: NO_SECRETS,
    killSwitch: false,
    bundling: PLAIN_BUNDLE,
  },
  'saml-acs': {
    summary: "an upstream IdP's SAML response to a session, then the AWS console or the portal",
    routes: ['POST /saml/{idp}/acs'],
    attributes: 'read',
    attributeItems: JOINS_DIRECTORY,
    state: {
      // The pending SP-initiated request, peeked before verification (spent only after it).
      read: [P.authnRequest],
      // The replay cache, the IdP-initiated confirmation, the new session.
      put: [P.replay, P.confirm, P.session],
      // The session's first use (the one grant a sign-in opened straight away).
      update: [P.session, P.person],
      // The SP-initiated AuthnRequest it answers, consumed.
      delete: [P.authnRequest],
    },
    kms: { fedgateKeys: true, clientKeys: false },
    secrets: NO_SECRETS,
    killSwitch: false,
    bundling: PLAIN_BUNDLE,
  },
  'saml-login': {
    summary: 'SP-initiated SAML sign-in: an AuthnRequest to the IdP',
    routes: ['GET /saml/{idp}/login'],
    attributes: 'read',
    attributeItems: NO_ITEMS,
    state: { ...NO_STATE, put: [P.authnRequest] },
    kms: NO_KMS,
    secrets: NO_SECRETS,
    killSwitch: false,
    bundling: { samlify: true },
  },
  'oidc-login': {
    summary: 'OIDC sign-in at an upstream OpenID provider (code + PKCE)',
    routes: ['GET /oidc/{idp}/login'],
    attributes: 'read',
    attributeItems: NO_ITEMS,
    state: { ...NO_STATE, put: [P.transaction] },
    kms: NO_KMS,
    // The OIDC client resolves the IdP's client authentication (its secret) with discovery.
    secrets: { ...NO_SECRETS, oidcClients: true },
    killSwitch: false,
    bundling: PLAIN_BUNDLE,
  },
  'oidc-callback': {
    summary:
      "the IdP's authorization response to a session (or an SPA's one-time code), and the public key of a private_key_jwt client key",
    // One redirect URI per IdP: a response can only ever be redeemed at the IdP it came from.
    // The client key's public half is served by the function that signs with it.
    routes: ['GET /oidc/{idp}/callback', 'GET /oidc/{idp}/jwks.json'],
    attributes: 'read',
    attributeItems: JOINS_DIRECTORY,
    state: {
      read: [],
      // The new session; an SPA sign-in's one-time code.
      put: [P.session, P.code],
      update: [P.session, P.person],
      // The OIDC transaction, consumed.
      delete: [P.transaction],
    },
    kms: { fedgateKeys: true, clientKeys: true },
    secrets: { ...NO_SECRETS, oidcClients: true },
    killSwitch: false,
    bundling: PLAIN_BUNDLE,
  },
  portal: {
    summary:
      "the access portal's actions for a signed-in person and the confirmation of IdP-initiated sign-ins",
    routes: ['POST /portal/open', 'GET /portal/keys', 'POST /signout', 'POST /signin/confirm'],
    attributes: 'read',
    attributeItems: JOINS_DIRECTORY,
    state: {
      read: [P.session, P.revoked],
      // A confirmed IdP-initiated sign-in starts a session.
      put: [P.session],
      update: [P.session, P.person],
      // Sign-out; the confirmation, consumed.
      delete: [P.session, P.confirm],
    },
    kms: { fedgateKeys: true, clientKeys: false },
    secrets: NO_SECRETS,
    killSwitch: false,
    bundling: PLAIN_BUNDLE,
  },
  published: {
    summary:
      "the published documents without keys: SP metadata per upstream IdP and fedgate's OIDC discovery document",
    routes: ['GET /saml/{idp}/metadata', 'GET /.well-known/openid-configuration'],
    attributes: 'read',
    attributeItems: NO_ITEMS,
    state: NO_STATE,
    kms: NO_KMS,
    secrets: NO_SECRETS,
    killSwitch: false,
    bundling: { samlify: true },
  },
  'published-keys': {
    summary:
      "fedgate's published keys: the IdP metadata IAM SAML providers trust and the JWKS IAM OIDC providers read",
    // Each key's certificate is self-signed through kms:Sign (shared/issuer/kms-signing-keys.ts),
    // so these two documents are served by a function of their own that holds that grant and
    // nothing else: no table, no secret, no samlify, no request input beyond the method.
    routes: ['GET /aws/saml-metadata.xml', 'GET /.well-known/jwks.json'],
    attributes: 'none',
    attributeItems: NO_ITEMS,
    state: NO_STATE,
    kms: { fedgateKeys: true, clientKeys: false },
    secrets: NO_SECRETS,
    killSwitch: false,
    bundling: PLAIN_BUNDLE,
  },
  credentials: {
    summary:
      "the SPA's API (CORS for exactly each client's origin): redeem a one-time code, credentials, grants, logout",
    // The only routes with CORS, and their explicit preflights (the HTTP API has no CORS config).
    routes: [
      'POST /redeem',
      'OPTIONS /redeem',
      'POST /credentials',
      'OPTIONS /credentials',
      'POST /grants',
      'OPTIONS /grants',
      'POST /logout',
      'OPTIONS /logout',
    ],
    attributes: 'read',
    attributeItems: JOINS_DIRECTORY,
    state: {
      read: [P.session, P.revoked],
      // The SPA session a redeemed code starts.
      put: [P.session],
      update: [P.session, P.person],
      // The one-time code, consumed; logout.
      delete: [P.code, P.session],
    },
    kms: { fedgateKeys: true, clientKeys: false },
    secrets: NO_SECRETS,
    killSwitch: false,
    bundling: PLAIN_BUNDLE,
  },
  'cli-pages': {
    summary:
      "the fedgate CLI's pages in the person's browser: the loopback sign-in's consent, the device sign-in's code entry and confirmation",
    routes: [
      'GET /cli/authorize',
      'POST /cli/authorize',
      'GET /cli/device',
      'POST /cli/device/confirm',
    ],
    attributes: 'read',
    attributeItems: JOINS_DIRECTORY,
    state: {
      // The browser session (read only: the pages never start or touch one), the device request
      // a user code points at.
      read: [P.session, P.revoked, P.userCode, P.device],
      // The loopback sign-in's one-time code; the device request's decision (written once).
      put: [P.cliCode, P.device],
      // User-code attempt counters (an atomic ADD).
      update: [P.attempts],
      // A user code is spent before its decision is recorded.
      delete: [P.userCode],
    },
    kms: NO_KMS,
    secrets: NO_SECRETS,
    killSwitch: false,
    bundling: PLAIN_BUNDLE,
  },
  cli: {
    summary:
      "the fedgate CLI's API (JSON, no cookies, no CORS): codes and device polling to a CLI session; roles, credentials, console, logout",
    routes: [
      'POST /cli/token',
      'POST /cli/device',
      'POST /cli/roles',
      'POST /cli/credentials',
      'POST /cli/console',
      'POST /cli/logout',
    ],
    attributes: 'read',
    attributeItems: JOINS_DIRECTORY,
    state: {
      // Sessions and marks (the approving browser session's too), device requests being polled.
      read: [P.session, P.revoked, P.device],
      // The CLI session; a device request and its user code (state.update is a conditional put).
      put: [P.session, P.device, P.userCode],
      update: [P.session, P.person],
      // A redeemed code, a decided device request, a logged-out session.
      delete: [P.cliCode, P.device, P.session],
    },
    kms: { fedgateKeys: true, clientKeys: false },
    secrets: NO_SECRETS,
    killSwitch: false,
    bundling: PLAIN_BUNDLE,
  },
  scim: {
    summary:
      "SCIM 2.0 provisioning per IdP (/scim/v2/{idp}/…): Users and Groups into the IdP's directory; deprovisioning ends the person's sessions",
    // One base URL per IdP; its bearer token opens that IdP's directory only
    // (shared/directory/README.md). The discovery documents, then Users and Groups.
    routes: [
      'GET /scim/v2/{idp}/ServiceProviderConfig',
      'GET /scim/v2/{idp}/ResourceTypes',
      'GET /scim/v2/{idp}/ResourceTypes/{id}',
      'GET /scim/v2/{idp}/Schemas',
      'GET /scim/v2/{idp}/Schemas/{id}',
      'GET /scim/v2/{idp}/Users',
      'POST /scim/v2/{idp}/Users',
      'GET /scim/v2/{idp}/Users/{id}',
      'PUT /scim/v2/{idp}/Users/{id}',
      'PATCH /scim/v2/{idp}/Users/{id}',
      'DELETE /scim/v2/{idp}/Users/{id}',
      'GET /scim/v2/{idp}/Groups',
      'POST /scim/v2/{idp}/Groups',
      'GET /scim/v2/{idp}/Groups/{id}',
      'PUT /scim/v2/{idp}/Groups/{id}',
      'PATCH /scim/v2/{idp}/Groups/{id}',
      'DELETE /scim/v2/{idp}/Groups/{id}',
    ],
    // The IdP's settings (its directory settings and token reference).
    attributes: 'read',
    // The directory, and nothing else of the attribute table: users, groups, memberships and
    // their indexes (shared/store/directory-store.ts), written in batches of 25.
    attributeItems: { read: [DIR], put: [DIR], update: [DIR], delete: [DIR], batchWrite: [DIR] },
    state: {
      // The person's session index: how many sessions a deprovisioning ends (the audit line).
      read: [P.person],
      // The deprovisioned person's revocation mark.
      put: [P.revoked],
      update: [],
      delete: [],
    },
    kms: NO_KMS,
    // Its bearer tokens, never the OIDC client secrets.
    secrets: { ...NO_SECRETS, scimTokens: true },
    // Deprovisioning with directory.deprovisioning.awsKillSwitch (shared/directory/README.md).
    killSwitch: true,
    bundling: PLAIN_BUNDLE,
  },
} as const satisfies Record<string, FunctionManifest>;

/**
 * How long every function may run, in seconds: API Gateway HTTP APIs wait 30 s at most, so a
 * function answers (fedgate's own 503 page or error) before API Gateway's bare 500. The CDK app
 * deploys it and the local runner gives each invocation as much (infra/local/api-gateway-event.ts):
 * a runner with less time would refuse under load what AWS completes.
 */
export const FUNCTION_TIMEOUT_SECONDS = 29;

/**
 * The user agent product every SDK client of a function carries: `fedgate-fn/<name>`
 * (functions/compose). It names the function in CloudTrail, and the runner's IAM stand-in reads it
 * to know whose declaration a DynamoDB call is checked against.
 */
export const FUNCTION_USER_AGENT = 'fedgate-fn';

/** A function's name: its file in functions/ without extension. */
export type FunctionName = keyof typeof MANIFEST;

/** A route and the function that serves it. */
export interface RouteDef<F extends string = string> {
  routeKey: RouteKey;
  /** File name in functions/ without extension. */
  fn: F;
}

/** Function names, each once, in declaration order. */
export const FUNCTIONS: readonly FunctionName[] = /* @__PURE__ */ Object.keys(
  MANIFEST,
) as FunctionName[];

/** Every route with its function; a route key declared twice is refused (API Gateway would serve one). */
const routesOfManifest = (): RouteDef<FunctionName>[] => {
  const routes = FUNCTIONS.flatMap((fn) =>
    MANIFEST[fn].routes.map((routeKey): RouteDef<FunctionName> => ({ routeKey, fn })),
  );
  const seen = new Set<string>();
  for (const { routeKey } of routes) {
    if (seen.has(routeKey))
      throw new Error(`infra/manifest.ts: route ${routeKey} is declared twice`);
    seen.add(routeKey);
  }
  return routes;
};

/** Every route, with its function. */
export const ROUTES: readonly RouteDef<FunctionName>[] = /* @__PURE__ */ routesOfManifest();

/**
 * Refuses a declaration whose BatchWriteItem grant would allow more than it says: IAM grants a
 * batch's puts and deletes with one action, so each `attributeItems.batchWrite` prefix must also
 * be declared in `put` and `delete`.
 * @throws Error naming the function and the prefix.
 */
export const checkBatchWrites = (manifest: Readonly<Record<string, FunctionManifest>>): void => {
  for (const [fn, m] of Object.entries(manifest)) {
    for (const prefix of m.attributeItems.batchWrite) {
      if (!m.attributeItems.put.includes(prefix) || !m.attributeItems.delete.includes(prefix)) {
        throw new Error(
          `infra/manifest.ts: ${fn} declares attributeItems.batchWrite ${prefix} without put and delete ${prefix}`,
        );
      }
    }
  }
};
/* @__PURE__ */ checkBatchWrites(MANIFEST);

/** Whether `name` is a declared function. */
export const isFunctionName = (name: string): name is FunctionName => Object.hasOwn(MANIFEST, name);

// --- What the declaration means in IAM: one derivation for the CDK app and the runner's stand-in.

/** The two tables a statement can name. */
export type TableRole = 'attributes' | 'state';

/** A DynamoDB statement of a function's role, before CDK turns the table into its ARN. */
export interface TableStatement {
  sid: string;
  actions: readonly string[];
  table: TableRole;
  /**
   * `ForAllValues:StringLike` on `dynamodb:LeadingKeys`: every partition key the call names must
   * match one of these (`SESSION#*`, `DIR#*`). Absent: the whole table (the config read).
   */
  leadingKeys?: readonly string[];
}

/**
 * What the functions do on the attribute table (shared/store/attribute-store.ts): Query per IdP, a
 * filtered Scan for the IdP list, BatchGetItem for account profiles, GetItem for the defaults and
 * settings, and SPA client items (shared/store/spa-clients.ts).
 */
export const ATTRIBUTE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
] as const;

/** State-table reads: single items and the session + revocation marks batch. Never Scan or Query. */
export const STATE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'] as const;

/** The write actions, one per {@link StateAccess} list. */
export const STATE_WRITE_ACTIONS = {
  put: 'dynamodb:PutItem',
  update: 'dynamodb:UpdateItem',
  delete: 'dynamodb:DeleteItem',
} as const;

/**
 * Attribute-table item reads per prefix (the directory: a person's partition, the group list).
 * Never Scan: a Scan names no key, so `LeadingKeys` could not hold it to the prefix.
 */
export const ATTRIBUTE_ITEM_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
] as const;

/** The attribute-table item write actions, one per {@link AttributeItemAccess} write list. */
export const ATTRIBUTE_ITEM_WRITE_ACTIONS = {
  ...STATE_WRITE_ACTIONS,
  batchWrite: 'dynamodb:BatchWriteItem',
} as const;

/**
 * Key prefixes as IAM `StringLike` patterns: `SESSION#` → `SESSION#*`. `dynamodb:LeadingKeys`
 * is the whole partition key value, so a prefix is matched as prefix + `*` (never the bare
 * prefix, which would match only a key equal to it).
 */
const leadingKeysOf = (prefixes: readonly string[]) =>
  [...new Set(prefixes)].sort().map((p) => `${p}*`);

/**
 * The DynamoDB statements a declaration implies, in a fixed order: `ReadAttributeTable` (the
 * whole table); `ReadAttributeItems`, `PutAttributeItems`, `UpdateAttributeItems`,
 * `DeleteAttributeItems`, `BatchWriteAttributeItems`; `ReadStateItems`, `PutStateItems`,
 * `UpdateStateItems`, `DeleteStateItems`: each present only when its list is not empty, each
 * restricted to its prefixes by `dynamodb:LeadingKeys`.
 * @example dynamoStatementsOf(MANIFEST.home) // ReadAttributeTable, ReadAttributeItems (DIR#*), ReadStateItems (REVOKED#*, SESSION#*)
 */
export const dynamoStatementsOf = (m: FunctionManifest): TableStatement[] => {
  const statements: TableStatement[] = [];
  if (m.attributes === 'read') {
    statements.push({
      sid: 'ReadAttributeTable',
      actions: ATTRIBUTE_READ_ACTIONS,
      table: 'attributes',
    });
  }
  if (m.attributeItems.read.length > 0) {
    statements.push({
      sid: 'ReadAttributeItems',
      actions: ATTRIBUTE_ITEM_READ_ACTIONS,
      table: 'attributes',
      leadingKeys: leadingKeysOf(m.attributeItems.read),
    });
  }
  const itemWrites = [
    ['PutAttributeItems', 'put'],
    ['UpdateAttributeItems', 'update'],
    ['DeleteAttributeItems', 'delete'],
    ['BatchWriteAttributeItems', 'batchWrite'],
  ] as const;
  for (const [sid, kind] of itemWrites) {
    if (m.attributeItems[kind].length === 0) continue;
    statements.push({
      sid,
      actions: [ATTRIBUTE_ITEM_WRITE_ACTIONS[kind]],
      table: 'attributes',
      leadingKeys: leadingKeysOf(m.attributeItems[kind]),
    });
  }
  if (m.state.read.length > 0) {
    statements.push({
      sid: 'ReadStateItems',
      actions: STATE_READ_ACTIONS,
      table: 'state',
      leadingKeys: leadingKeysOf(m.state.read),
    });
  }
  const writes = [
    ['PutStateItems', 'put'],
    ['UpdateStateItems', 'update'],
    ['DeleteStateItems', 'delete'],
  ] as const;
  for (const [sid, kind] of writes) {
    if (m.state[kind].length === 0) continue;
    statements.push({
      sid,
      actions: [STATE_WRITE_ACTIONS[kind]],
      table: 'state',
      leadingKeys: leadingKeysOf(m.state[kind]),
    });
  }
  return statements;
};

/** The functions that sign with fedgate's AWS keys: the signing keys' policy names their roles. */
export const signingKeyFunctions = (): FunctionName[] =>
  FUNCTIONS.filter((fn) => MANIFEST[fn].kms.fedgateKeys);
