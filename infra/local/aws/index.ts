import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalContext, LocalPlugin } from '../plugin.js';
import { type AwsStandInFaults, parseFaults } from './faults.js';
import { createFederationStandIn } from './federation-stand-in.js';
import {
  createLedger,
  type IssuedSession,
  type IssuedSessionSummary,
  summarizeSession,
} from './ledger.js';
import { createRoleDirectory, type LocalRoles } from './local-roles.js';
import { loadSamlProviderMetadata } from './saml-provider.js';
import { createStsStandIn } from './sts-stand-in.js';

export type { AwsStandInFaults, FederationFaultMode, StsFaultMode } from './faults.js';
export type { IssuedSession, IssuedSessionSummary } from './ledger.js';
export type { LocalProviders, LocalRole, LocalRoles } from './local-roles.js';
export { PACKED_TAGS_LIMIT_BYTES } from './saml-checks.js';
export {
  type DefaultTrustPolicyInput,
  defaultTrustPolicy,
  parseTrustPolicy,
  type TrustPolicyDocument,
  type TrustPolicyStatement,
} from './trust-policy.js';

/** Where the stand-ins listen under the runner's base URL. */
export const STS_STAND_IN_PATH = '/_local/sts/';
/**
 * `GET` here lists the sessions the STS stand-in issued, without their secrets (for tests and
 * a runner in another process): role, session name, SourceIdentity, subject, issue and expiry.
 */
export const STS_SESSIONS_PATH = '/_local/sts/sessions';
export const FEDERATION_STAND_IN_PATH = '/_local/federation';
export const FAULTS_PATH = '/_local/faults';
/** Where fedgate publishes its IdP metadata (the document an IAM SAML provider is created from). */
export const DEFAULT_SAML_METADATA_PATH = '/aws/saml-metadata.xml';

export interface AwsStandInsOptions {
  /**
   * The metadata the pretend IAM SAML provider holds: absolute, or a path resolved against the
   * runner's base URL (default `/aws/saml-metadata.xml`, fedgate's published IdP metadata).
   */
  samlMetadataUrl?: URL | string;
  /** The IAM SAML provider's name in every account: `arn:aws:iam::<acct>:saml-provider/<name>` (default `fedgate`). */
  samlProviderName?: string;
  /**
   * The roles the pretend IAM knows, by ARN, with their MaxSessionDuration and trust policy (a
   * record, or a function of the providers, whose OIDC host is the runner's; ./local-roles.ts).
   * Absent: every well-formed role in any account exists, allows 12 h, and has fedgate's default
   * trust policy (./trust-policy.ts `defaultTrustPolicy`: tokens bound to the role).
   */
  roles?: LocalRoles;
  /** Clock skew allowed on assertion times (default 60 s). */
  clockSkewSeconds?: number;
  /** Faults active from the start (see {@link AwsStandIns.setFaults}). */
  faults?: AwsStandInFaults;
  /** For the metadata fetch (default global fetch). */
  fetch?: typeof fetch;
  /**
   * The client ids of the pretend IAM OIDC provider for fedgate's issuer (the runner's base URL),
   * for AssumeRoleWithWebIdentity (default `["sts.amazonaws.com"]`, fedgate's default audience).
   */
  webIdentityAudiences?: readonly string[];
}

/** The stand-ins for the two AWS endpoints that cannot run locally. */
export interface AwsStandIns {
  /**
   * Mount all of them: `plugins: [demoSamlIdps(), ...standIns.plugins]`. The STS stand-in at
   * `/_local/sts/` (it sets `AWS_ENDPOINT_URL_STS` for the functions), the federation endpoint at
   * `/_local/federation`, the fault switch at `/_local/faults`.
   */
  readonly plugins: readonly LocalPlugin[];
  /**
   * Unexpired sessions the STS stand-in issued, oldest first, each with the SourceIdentity STS
   * set on it (also over HTTP, without secrets: `GET /_local/sts/sessions`).
   */
  sessions(): IssuedSession[];
  /** Replaces the active faults (`{}` clears them). Also `PUT /_local/faults` with the same JSON. */
  setFaults(faults: AwsStandInFaults): void;
  faults(): AwsStandInFaults;
}

/** The STS stand-in's endpoint under a base URL (what `AWS_ENDPOINT_URL_STS` is set to). */
export const stsStandInEndpoint = (base: URL): URL => new URL(STS_STAND_IN_PATH, base);
/** The federation stand-in's endpoint under a base URL (fedgate's `federationEndpoint` locally). */
export const federationStandInEndpoint = (base: URL): URL =>
  new URL(FEDERATION_STAND_IN_PATH, base);

const requestUrl = (req: IncomingMessage, ctx: LocalContext) =>
  new URL(req.url ?? '/', ctx.baseUrl);

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

/**
 * Local stand-ins for AWS STS and the console federation endpoint, as runner plugins. They check
 * what AWS checks with libraries independent of fedgate's own code (node-saml for the assertion)
 * and issue credentials that are visibly local (`ASIALOCAL…`, a `fedgate-local/…` session token).
 * See ./README.md for what is checked and which STS error each failure produces.
 * @example
 * const standIns = awsStandIns();
 * await startLocalGateway({ configPath, plugins: [demoSamlIdps(), ...standIns.plugins] });
 */
export const awsStandIns = (options: AwsStandInsOptions = {}): AwsStandIns => {
  const ledger = createLedger();
  let activeFaults: AwsStandInFaults = { ...options.faults };
  const fetchImpl = options.fetch ?? fetch;
  const providerName = options.samlProviderName ?? 'fedgate';
  const metadataUrl = (ctx: LocalContext) =>
    new URL(options.samlMetadataUrl ?? DEFAULT_SAML_METADATA_PATH, ctx.listenUrl);
  const audiences = options.webIdentityAudiences ?? ['sts.amazonaws.com'];
  let sts: ReturnType<typeof createStsStandIn> | undefined;
  const stsFor = (ctx: LocalContext) => {
    sts ??= createStsStandIn({
      ledger,
      metadata: () => loadSamlProviderMetadata(metadataUrl(ctx), fetchImpl),
      providerName,
      // Parsed here: a trust policy the stand-in cannot model stops the runner at start.
      roleFor: createRoleDirectory(options.roles, {
        samlProviderName: providerName,
        oidcProviderHost: ctx.baseUrl.host,
        webIdentityAudiences: audiences,
      }),
      clockSkewMs: (options.clockSkewSeconds ?? 60) * 1000,
      faults: () => activeFaults,
      webIdentity: {
        provider: () => ({ issuer: ctx.baseUrl.origin, audiences }),
        fetch: fetchImpl,
      },
    });
    return sts;
  };
  const federation = createFederationStandIn({ ledger, faults: () => activeFaults });

  const stsPlugin: LocalPlugin = {
    name: 'AWS STS stand-in',
    prefix: STS_STAND_IN_PATH,
    // For the gateway config file: ${LOCAL_STS_ENDPOINT}, ${LOCAL_FEDERATION_ENDPOINT}.
    prepare: async (ctx) => {
      stsFor(ctx);
      return {
        LOCAL_STS_ENDPOINT: stsStandInEndpoint(ctx.baseUrl).href,
        LOCAL_FEDERATION_ENDPOINT: federationStandInEndpoint(ctx.baseUrl).href,
      };
    },
    env: (ctx) => ({ AWS_ENDPOINT_URL_STS: stsStandInEndpoint(ctx.listenUrl).href }),
    handle: async (req, res, body, ctx) => {
      const url = requestUrl(req, ctx);
      if (url.pathname === STS_SESSIONS_PATH) {
        if (req.method !== 'GET') {
          res.writeHead(405, { allow: 'GET' });
          res.end();
          return;
        }
        const sessions: IssuedSessionSummary[] = ledger.sessions().map(summarizeSession);
        return sendJson(res, 200, sessions);
      }
      return stsFor(ctx)(req, res, body, url);
    },
    describe: (ctx) => [
      `STS stand-in         ${stsStandInEndpoint(ctx.baseUrl).href} (AssumeRoleWithSAML, GetCallerIdentity; provider "${providerName}", metadata ${metadataUrl(ctx).href}; AssumeRoleWithWebIdentity for ${ctx.baseUrl.origin})`,
    ],
  };
  const federationPlugin: LocalPlugin = {
    name: 'AWS console federation stand-in',
    prefix: FEDERATION_STAND_IN_PATH,
    // The functions' federation endpoint (getSigninToken + login) is this stand-in.
    env: (ctx) => ({ FEDERATION_ENDPOINT: federationStandInEndpoint(ctx.listenUrl).href }),
    handle: async (req, res, body, ctx) => {
      const url = requestUrl(req, ctx);
      if (url.pathname !== FEDERATION_STAND_IN_PATH)
        return sendJson(res, 404, { message: 'Not Found' });
      return federation(req, res, body, url);
    },
    describe: (ctx) => [
      `federation stand-in  ${federationStandInEndpoint(ctx.baseUrl).href} (getSigninToken, login)`,
    ],
  };
  const faultsPlugin: LocalPlugin = {
    name: 'AWS stand-in faults',
    prefix: FAULTS_PATH,
    handle: async (req, res, body, ctx) => {
      if (requestUrl(req, ctx).pathname !== FAULTS_PATH) {
        return sendJson(res, 404, { message: 'Not Found' });
      }
      if (req.method === 'GET') return sendJson(res, 200, activeFaults);
      if (req.method === 'DELETE') {
        activeFaults = {};
        return sendJson(res, 200, activeFaults);
      }
      if (req.method === 'PUT' || req.method === 'POST') {
        let parsed: AwsStandInFaults | undefined;
        try {
          parsed = parseFaults(JSON.parse(body.toString('utf8')));
        } catch {
          parsed = undefined;
        }
        if (!parsed) {
          return sendJson(res, 400, {
            message:
              'expected {"sts"?: "throttle"|"down"|"reset"|"slow", "federation"?: "down"|"reset"|"slow"|"malformed", "slowMs"?: number}',
          });
        }
        activeFaults = parsed;
        return sendJson(res, 200, activeFaults);
      }
      res.writeHead(405, { allow: 'GET, PUT, POST, DELETE' });
      res.end();
    },
    describe: (ctx) => [
      `stand-in faults      ${new URL(FAULTS_PATH, ctx.baseUrl).href} (PUT {"sts":"throttle"}; DELETE clears)`,
    ],
  };

  return {
    plugins: [stsPlugin, federationPlugin, faultsPlugin],
    sessions: () => ledger.sessions(),
    setFaults: (faults) => {
      activeFaults = { ...faults };
    },
    faults: () => ({ ...activeFaults }),
  };
};
