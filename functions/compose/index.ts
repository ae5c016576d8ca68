/**
 * The composition root of every function: what functions/<fn>.ts used to wire by hand (config,
 * SDK clients, stores, sessions, signing keys, AWS access, sign-in, secrets, client keys), built
 * from the function's declaration in infra/manifest.ts and nothing beyond it.
 *
 * Why here, in functions/ but in a folder of its own: SDK clients are built in functions/ (STYLE:
 * shared/ never constructs one, and only functions/ and infra/ read `process.env`); the folder
 * keeps it out of "one file per Lambda" (nothing deploys or routes it: infra/manifest.ts names
 * the functions). It is bundled into each function, so it is shaped for esbuild's tree shaking:
 * small builders the function file calls (`stateOf(fn)`, `signingKeysOf(fn)`, …), each importing
 * only what it builds, with no module-level work; what a function does not call falls away from
 * its bundle (the SAML assertion stack, STS, KMS, the secrets extension…).
 *
 * A builder checks the declaration first: a function that did not declare a capability (KMS,
 * secrets, a table) cannot build it, and trying fails its cold start with an error naming the
 * manifest field; for the KMS, secrets and attribute-table builders TypeScript refuses the call
 * already (the manifest's literal types). What a function then does with the tables is checked
 * where it runs: in AWS by the role CDK derives from the same declaration, locally by the runner's
 * IAM stand-in, which reads the user agent each client here carries (`fedgate-fn/<name>`).
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { createKillSwitch } from '../../infra/admin/kill-switch-aws.js';
import {
  type AttributeItemPrefix,
  FUNCTION_USER_AGENT,
  type FunctionManifest,
  type FunctionName,
  isFunctionName,
  MANIFEST,
} from '../../infra/manifest.js';
import { loadConfig, type RuntimeConfig } from '../../shared/config/index.js';
import {
  type AwsKillSwitch,
  createAwsKillSwitch,
  createDeprovisioning,
  type Deprovisioning,
  type DirectoryStore,
} from '../../shared/directory/index.js';
import {
  createAwsAccessFor,
  createLazySigningKeys,
  createSamlAssumption,
  createSessionsFor,
  createSignInFor,
  errorPagesFor,
  guardClientKeyLoader,
} from '../../shared/gateway/index.js';
import type { RoleAssumption } from '../../shared/handback/index.js';
import { createRouter, type RouteEndpoint } from '../../shared/http/index.js';
import {
  KMS_CLIENT_DEFAULTS,
  loadSigningKeys,
  type SigningKeys,
} from '../../shared/issuer/index.js';
import { logger, meter } from '../../shared/log.js';
import {
  createClientAuthenticator,
  createSecretResolver,
  extensionSecretPortFromEnv,
  type SecretResolver,
} from '../../shared/oidc/index.js';
import type { SessionService } from '../../shared/session/index.js';
import {
  ATTRIBUTE_KEY_PREFIXES,
  type AttributeStore,
  createCachedAttributeStore,
  createDynamoAttributeStore,
  createDynamoDirectoryStore,
  createDynamoSessionStore,
  createDynamoSpaClients,
  createDynamoStateStore,
  createReplayCache,
  DYNAMODB_CLIENT_DEFAULTS,
  type ReplayCache,
  type SpaClientRegistry,
  STATE_KEY_PREFIXES,
  type StateKeyPrefix,
  type StateStore,
} from '../../shared/store/index.js';
import { STS_CLIENT_DEFAULTS } from '../../shared/sts/index.js';

/** The environment a function reads (Lambda's, or the local runner's). */
export type Env = Record<string, string | undefined>;

/** One function's composition: its declaration and its config (its builders share clients through it). */
export interface Composition<M extends FunctionManifest = FunctionManifest> {
  /** The function's name (its file in functions/). */
  readonly name: string;
  readonly manifest: M;
  readonly config: Readonly<RuntimeConfig>;
  readonly env: Env;
  /**
   * The function's own logger (a child of fedgate's one logger): in Lambda each function is its
   * own process anyway; on the local runner, where all share one, each still logs as itself.
   */
  readonly logger: Logger;
}

/** The composition of a function whose declaration has `K` (for the builders' parameter types). */
type Declaring<K> = Composition & { readonly manifest: K };

// What each composition built, so that two builders needing the same client share it.
const built = new WeakMap<Composition, Map<string, unknown>>();
const once = <T>(c: Composition, key: string, build: () => T): T => {
  const cache = built.get(c) as Map<string, T>;
  if (!cache.has(key)) cache.set(key, build());
  return cache.get(key) as T;
};

/** A function used what it did not declare: a programming error, raised at cold start. */
const undeclared = (c: Composition, what: string, field: string): Error =>
  new Error(
    `functions/${c.name}.ts builds ${what}, but infra/manifest.ts does not declare ${field} for ${c.name}`,
  );

const check = (c: Composition, ok: boolean, what: string, field: string): void => {
  if (!ok) throw undeclared(c, what, field);
};

const declaresState = (m: FunctionManifest, prefix?: StateKeyPrefix): boolean =>
  [m.state.read, m.state.put, m.state.update, m.state.delete].some((list) =>
    prefix === undefined ? list.length > 0 : list.includes(prefix),
  );

const DIR: AttributeItemPrefix = ATTRIBUTE_KEY_PREFIXES.directory;

/** Whether the declaration reads the directory (`attributeItems.read` DIR#). */
const readsDirectory = (m: FunctionManifest): boolean => m.attributeItems.read.includes(DIR);

/**
 * Starts a function's composition at cold start: its declaration and its config (a bad deploy
 * fails here, at init, not on a user). Tests may pass another declaration (`manifest`) and
 * environment.
 * @throws Error for a name infra/manifest.ts does not declare; ConfigError for a bad environment.
 * @example const fn = compose('saml-acs');
 */
export function compose<N extends FunctionName>(
  name: N,
  opts?: { env?: Env },
): Composition<(typeof MANIFEST)[N]>;
export function compose(name: string, opts: { env?: Env; manifest: FunctionManifest }): Composition;
export function compose(
  name: string,
  opts: { env?: Env; manifest?: FunctionManifest } = {},
): Composition {
  const manifest = opts.manifest ?? (isFunctionName(name) ? MANIFEST[name] : undefined);
  if (!manifest) throw new Error(`infra/manifest.ts declares no function ${name}`);
  const env = opts.env ?? process.env;
  const composition: Composition = {
    name,
    manifest,
    config: loadConfig(env),
    env,
    logger: logger.createChild({ persistentKeys: { function: name } }),
  };
  built.set(composition, new Map());
  return composition;
}

/** What every SDK client of the function carries: `fedgate-fn/<name>` (CloudTrail, the stand-in). */
const userAgentOf = (c: Composition): [string, string][] => [[FUNCTION_USER_AGENT, c.name]];

/** The function's DynamoDB client (a declared table access). */
export const dynamoOf = (c: Composition): DynamoDBClient => {
  const { attributeItems: items } = c.manifest;
  const tables =
    c.manifest.attributes === 'read' ||
    [items.read, items.put, items.update, items.delete].some((list) => list.length > 0) ||
    declaresState(c.manifest);
  check(c, tables, 'a DynamoDB client', 'attributes, attributeItems or state');
  return once(
    c,
    'dynamodb',
    () => new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS, customUserAgent: userAgentOf(c) }),
  );
};

/**
 * The attribute table behind the per-container cache; with the directory join only when the
 * function declares the directory read (`attributeItems.read` DIR#), so an IdP with a directory
 * is refused by a function that did not.
 */
export const attributesOf = (c: Declaring<{ readonly attributes: 'read' }>): AttributeStore => {
  check(c, c.manifest.attributes === 'read', 'the attribute store', "attributes: 'read'");
  return once(c, 'attributes', () =>
    createCachedAttributeStore(
      createDynamoAttributeStore({
        client: dynamoOf(c),
        tableName: c.config.attributeTableName,
        directory: readsDirectory(c.manifest),
      }),
      { ttlSeconds: c.config.configCacheSeconds },
    ),
  );
};

/** The state table's single-use items (a declared state access). */
export const stateOf = (c: Composition): StateStore => {
  check(c, declaresState(c.manifest), 'the state store', 'any state access');
  return once(c, 'state', () =>
    createDynamoStateStore({ client: dynamoOf(c), tableName: c.config.stateTableName }),
  );
};

/** The replay cache on the state table (REPLAY# puts). */
export const replayOf = (c: Composition): ReplayCache => {
  const { replay } = STATE_KEY_PREFIXES;
  check(c, c.manifest.state.put.includes(replay), 'the replay cache', `state.put ${replay}`);
  return once(c, 'replay', () =>
    createReplayCache({ state: stateOf(c), clockSkewSeconds: c.config.clockSkewSeconds }),
  );
};

/** Sessions on the state table, re-evaluated against the attribute table (SESSION# access). */
export const sessionsOf = (c: Declaring<{ readonly attributes: 'read' }>): SessionService => {
  const { session } = STATE_KEY_PREFIXES;
  check(c, declaresState(c.manifest, session), 'the session service', `state ${session}`);
  // Every use re-runs the rules, with the person's directory joined.
  check(c, readsDirectory(c.manifest), 'the session service', `attributeItems.read ${DIR}`);
  return once(c, 'sessions', () =>
    createSessionsFor({
      config: c.config,
      dynamo: dynamoOf(c),
      attributes: attributesOf(c),
      log: c.logger,
    }),
  );
};

/** The SPA clients registered in the attribute table. */
export const spaClientsOf = (c: Declaring<{ readonly attributes: 'read' }>): SpaClientRegistry => {
  check(c, c.manifest.attributes === 'read', 'the SPA client registry', "attributes: 'read'");
  return once(c, 'spa-clients', () =>
    createDynamoSpaClients({
      client: dynamoOf(c),
      tableName: c.config.attributeTableName,
      ttlSeconds: c.config.configCacheSeconds,
    }),
  );
};

const readText = (path: string) => readFile(path, 'utf8');

type SignsWithFedgateKeys = Declaring<{ readonly kms: { readonly fedgateKeys: true } }>;
type SignsClientAssertions = Declaring<{
  readonly kms: { readonly fedgateKeys: true; readonly clientKeys: true };
  readonly secrets: { readonly oidcClients: true };
}>;

/** The function's KMS client (declared fedgate keys or client keys). */
const kmsOf = (c: Composition): KMSClient => {
  const { kms } = c.manifest;
  check(c, kms.fedgateKeys || kms.clientKeys, 'a KMS client', 'kms');
  return once(
    c,
    'kms',
    () => new KMSClient({ ...KMS_CLIENT_DEFAULTS, customUserAgent: userAgentOf(c) }),
  );
};

/** fedgate's AWS signing keys (SIGNING_KEY_REF), loaded on first use. */
export const signingKeysOf = (c: SignsWithFedgateKeys): SigningKeys => {
  check(c, c.manifest.kms.fedgateKeys, "fedgate's signing keys", 'kms.fedgateKeys');
  return once(c, 'signing-keys', () =>
    createLazySigningKeys({ config: c.config, readFile: readText, kms: kmsOf(c) }),
  );
};

/** The STS client: only functions that mint for STS (they sign with fedgate's keys) build one. */
const stsOf = (c: SignsWithFedgateKeys): STSClient => {
  check(c, c.manifest.kms.fedgateKeys, 'an STS client', 'kms.fedgateKeys');
  return once(
    c,
    'sts',
    () => new STSClient({ ...STS_CLIENT_DEFAULTS, customUserAgent: userAgentOf(c) }),
  );
};

/**
 * SAML sessions' role assumption (fedgate's own assertion, AssumeRoleWithSAML): only the
 * functions that serve SAML sessions call this, so the others bundle no XML stack.
 */
export const samlAssumptionOf = (c: SignsWithFedgateKeys): RoleAssumption =>
  createSamlAssumption({
    config: c.config,
    sts: stsOf(c),
    signingKeys: signingKeysOf(c),
    log: c.logger,
  });

/**
 * AWS access for sessions' grants: web identity for OIDC sessions; SAML sessions through `saml`,
 * {@link samlAssumptionOf} or, in a function no SAML session reaches, `servesNoSamlSessions`.
 */
export const awsAccessOf = (c: SignsWithFedgateKeys, opts: { saml: RoleAssumption }) =>
  createAwsAccessFor({
    config: c.config,
    sts: stsOf(c),
    fetch,
    signingKeys: signingKeysOf(c),
    log: c.logger,
    meter,
    saml: opts.saml,
  });

/** Completing sign-ins (a new session) and the IdP-initiated confirmation. */
export const signInOf = (
  c: Declaring<{ readonly attributes: 'read' }>,
  deps: { access: ReturnType<typeof awsAccessOf> },
) => {
  const { session } = STATE_KEY_PREFIXES;
  check(c, c.manifest.state.put.includes(session), 'sign-in completion', `state.put ${session}`);
  return createSignInFor({
    config: c.config,
    attributes: attributesOf(c),
    state: stateOf(c),
    sessions: sessionsOf(c),
    access: deps.access,
    log: c.logger,
  });
};

/**
 * Secret references (OIDC client secrets, SCIM bearer tokens): `env:`, `file:`, and
 * `arn:aws:secretsmanager:` / `ssm:` through the AWS Parameters and Secrets Lambda Extension (a
 * layer, so no SDK client is bundled). What the role may read is the declared kind's only.
 */
export const secretResolverOf = (
  c: Declaring<
    | { readonly secrets: { readonly oidcClients: true } }
    | { readonly secrets: { readonly scimTokens: true } }
  >,
): SecretResolver => {
  const { secrets } = c.manifest;
  check(c, secrets.oidcClients || secrets.scimTokens, 'the secret resolver', 'secrets');
  return once(c, 'secrets', () =>
    createSecretResolver({
      readEnv: (name) => c.env[name],
      readFile: readText,
      aws: extensionSecretPortFromEnv(c.env),
    }),
  );
};

/**
 * The OIDC client authenticator with private_key_jwt keys: the same loader and Signer port as
 * fedgate's AWS-facing keys, refusing those very keys (an IdP must never receive signatures of
 * the key every IAM role trusts).
 */
export const clientAuthenticatorOf = (c: SignsClientAssertions) => {
  check(c, c.manifest.kms.clientKeys, 'private_key_jwt client keys', 'kms.clientKeys');
  return once(c, 'client-auth', () => {
    const loadClientKeys = guardClientKeyLoader({
      loadKeys: (ref) => loadSigningKeys({ refs: [ref], readFile: readText, kms: kmsOf(c) }),
      awsSigningKeys: signingKeysOf(c),
      awsSigningKeyRefs: c.config.signingKeyRefs,
    });
    return createClientAuthenticator({
      resolveSecret: secretResolverOf(c),
      loadKeys: (ref) => loadClientKeys(ref),
    });
  });
};

/**
 * The directory's writer (SCIM): users, groups and memberships under `DIR#` (every write action
 * declared on it in `attributeItems`).
 */
export const directoryStoreOf = (c: Composition): DirectoryStore => {
  const { attributeItems: items } = c.manifest;
  const writes = [items.read, items.put, items.update, items.delete, items.batchWrite];
  check(
    c,
    writes.every((list) => list.includes(DIR)),
    'the directory store',
    `attributeItems read, put, update, delete and batchWrite ${DIR}`,
  );
  return once(c, 'directory', () =>
    createDynamoDirectoryStore({ client: dynamoOf(c), tableName: c.config.attributeTableName }),
  );
};

/** IAM is global: its endpoint's region per partition. */
const IAM_REGION = { aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' };

/**
 * The AWS kill switch for deprovisioning (shared/directory/README.md): assumes each target
 * account's `fedgate-revocation-writer` with the function's own role.
 */
export const killSwitchOf = (c: Declaring<{ readonly killSwitch: true }>): AwsKillSwitch => {
  check(c, c.manifest.killSwitch, 'the AWS kill switch', 'killSwitch');
  return once(c, 'kill-switch', () => {
    const sts = new STSClient({ ...STS_CLIENT_DEFAULTS, customUserAgent: userAgentOf(c) });
    return createAwsKillSwitch(
      (partition) =>
        createKillSwitch({
          sts,
          iamFor: (credentials) =>
            new IAMClient({
              region: IAM_REGION[partition],
              credentials,
              customUserAgent: userAgentOf(c),
            }),
        }).apply,
    );
  });
};

/**
 * Deprovisioning: the person's revocation mark (`REVOKED#` put), the sessions it ends for the
 * audit line (`PERSON#` read), and the kill switch where declared.
 */
export const deprovisioningOf = (c: Composition): Deprovisioning => {
  const { revoked, person } = STATE_KEY_PREFIXES;
  check(c, c.manifest.state.put.includes(revoked), 'deprovisioning', `state.put ${revoked}`);
  check(c, c.manifest.state.read.includes(person), 'deprovisioning', `state.read ${person}`);
  return once(c, 'deprovisioning', () =>
    createDeprovisioning({
      sessions: createDynamoSessionStore({
        client: dynamoOf(c),
        tableName: c.config.stateTableName,
      }),
      ...(c.manifest.killSwitch
        ? { killSwitch: killSwitchOf(c as Declaring<{ readonly killSwitch: true }>) }
        : {}),
      log: c.logger,
    }),
  );
};

/** Error pages' support contact (from the cached gateway settings) and sign-in page. */
export const errorPagesOf = (c: Declaring<{ readonly attributes: 'read' }>) =>
  errorPagesFor({ config: c.config, attributes: attributesOf(c) });

/**
 * A port a shared factory takes but this function's routes never reach (published's SP metadata
 * endpoints come with saml-login's state store; its discovery document with the signing keys):
 * every method rejects with the programming error naming the manifest field to declare, so a
 * route that starts using it fails its test instead of reaching a table or key undeclared.
 */
export const unusedPortOf = <T extends object>(c: Composition, what: string, field: string): T =>
  new Proxy({} as T, {
    // Not a thenable: `await port` must not call it.
    get: (_target, prop) =>
      prop === 'then' ? undefined : () => Promise.reject(undeclared(c, what, field)),
  });

/**
 * The function's routes, each to one call, through the one router (shared/http/router.ts):
 * exactly the routes its declaration lists (checked at cold start, so a route added to the
 * manifest without its call, or the reverse, fails at init). A route key outside the table (a
 * `$default` route, `npm run invoke`) goes to `fallback` when given, and is `not_found` otherwise.
 */
export const routesOf = (
  c: Composition,
  routes: Record<string, RouteEndpoint>,
  fallback?: RouteEndpoint,
): RouteEndpoint => {
  const declared = [...c.manifest.routes].sort();
  const handled = Object.keys(routes).sort();
  if (declared.join('\n') !== handled.join('\n')) {
    throw new Error(
      `functions/${c.name}.ts routes ${handled.join(', ')}; infra/manifest.ts declares ${declared.join(', ')}`,
    );
  }
  return createRouter(routes, fallback ? { fallback } : {});
};

/**
 * A one-route function's call. Every route key reaches it (a `$default` route, `npm run invoke`),
 * and it answers a method it does not take itself (405), as before.
 */
export const onlyRouteOf = (c: Composition, endpoint: RouteEndpoint): RouteEndpoint => {
  const [only, ...more] = c.manifest.routes;
  if (only === undefined || more.length > 0) {
    throw new Error(
      `functions/${c.name}.ts serves one route; infra/manifest.ts declares ${c.manifest.routes.join(', ')}`,
    );
  }
  return routesOf(c, { [only]: endpoint }, endpoint);
};

export { servesNoSamlSessions } from '../../shared/gateway/index.js';
export { logger, meter };
