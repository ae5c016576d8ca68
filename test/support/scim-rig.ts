import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { createLambdaContext } from '../../infra/local/api-gateway-event.js';
import { ROUTES } from '../../infra/routes.js';
import type { Clock } from '../../shared/clock.js';
import { type GatewayConfig, parseGatewayConfig } from '../../shared/config/index.js';
import { type AwsKillSwitch, createDeprovisioning } from '../../shared/directory/index.js';
import { createHttpHandler } from '../../shared/http/index.js';
import { createRouteMatcher } from '../../shared/http/router.js';
import { logger } from '../../shared/log.js';
import { createSecretResolver } from '../../shared/oidc/index.js';
import {
  createScimAuthenticator,
  createScimEndpoints,
  createScimService,
  createScimThrottle,
  scimErrorBody,
} from '../../shared/scim/index.js';
import {
  createDynamoDirectoryStore,
  createDynamoSessionStore,
  type DynamoPort,
  type TableNames,
} from '../../shared/store/index.js';
import { apiEvent, captureLogger } from './events.js';

/** The SCIM tokens of the rig's IdPs (what their `env:` references resolve to). */
export const SCIM_TOKENS = {
  OKTA_SCIM_TOKEN: 'okta-scim-token-0123456789abcdefghijklmnopqrstuv',
  ENTRA_SCIM_TOKEN: 'entra-scim-token-0123456789abcdefghijklmnopqrstu',
} as const;

const CERT = 'A'.repeat(80);

/** Two provisioned IdPs shaped like Okta (SAML) and Entra ID (SAML, lower-cased object ids). */
export const scimTestConfig = (
  over: { entraKillSwitch?: boolean; rps?: number } = {},
): GatewayConfig =>
  parseGatewayConfig({
    version: 1,
    idps: [
      {
        id: 'okta',
        displayName: 'Okta',
        protocol: 'saml',
        saml: { entityId: 'http://www.okta.com/exk1', signingCertificates: [CERT] },
        subjectClaim: 'oktaUserId',
        directory: {
          scim: { tokenRef: 'env:OKTA_SCIM_TOKEN', requestsPerSecond: over.rps ?? 1000 },
        },
      },
      {
        id: 'entra',
        displayName: 'Entra ID',
        protocol: 'saml',
        saml: {
          entityId: 'https://sts.windows.net/0b1e3c5a-7d2f-4e8a-9c61-5f0a2b4d6e18/',
          signingCertificates: [CERT],
          allowedTenants: ['0b1e3c5a-7d2f-4e8a-9c61-5f0a2b4d6e18'],
        },
        subjectClaim: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
        directory: {
          scim: { tokenRef: 'env:ENTRA_SCIM_TOKEN', requestsPerSecond: over.rps ?? 1000 },
          subject: { lowercase: true },
          ...(over.entraKillSwitch
            ? { deprovisioning: { awsKillSwitch: { accounts: ['111111111111', '222222222222'] } } }
            : {}),
        },
      },
      {
        id: 'plain',
        displayName: 'No provisioning',
        protocol: 'oidc',
        oidc: { issuer: 'https://idp.example', clientId: 'c' },
      },
    ],
  });

/** A SCIM response, its JSON body parsed. */
export interface ScimReply {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

const match = createRouteMatcher(ROUTES.filter((r) => r.fn === 'scim'));

/**
 * The SCIM function's composition (functions/scim.ts) on a real DynamoDB (the caller's client and
 * tables), with a captured log and an optional kill switch; `request` runs one HTTP request
 * through the same middy chain and routes as the function.
 */
export const createScimRig = ({
  client,
  names,
  config = scimTestConfig(),
  killSwitch,
  clock,
}: {
  client: DynamoPort;
  names: TableNames;
  config?: GatewayConfig;
  killSwitch?: AwsKillSwitch;
  clock?: Clock;
}) => {
  const log = captureLogger();
  const store = createDynamoDirectoryStore({ client, tableName: names.attributeTableName });
  const sessions = createDynamoSessionStore({ client, tableName: names.stateTableName });
  const handler = createHttpHandler(
    { logger, format: 'json', middlewares: [scimErrorBody()] },
    createScimEndpoints({
      loadIdp: async (id) => config.idps.find((i) => i.id === id),
      authenticate: createScimAuthenticator(
        createSecretResolver({ readEnv: (n) => (SCIM_TOKENS as Record<string, string>)[n] }),
      ),
      throttle: createScimThrottle(clock),
      service: createScimService({
        store,
        deprovision: createDeprovisioning({
          sessions,
          log,
          ...(killSwitch ? { killSwitch } : {}),
          ...(clock ? { clock } : {}),
        }),
        log,
      }),
      publicBaseUrl: new URL('https://sso.example.com'),
      log,
    }),
  );
  const request = async (
    method: string,
    url: string,
    opts: { token?: string | null; body?: unknown; rawBody?: string; contentType?: string } = {},
  ): Promise<ScimReply> => {
    const [path = '', query = ''] = url.split('?');
    const found = match(method, path);
    if (!found) throw new Error(`no SCIM route for ${method} ${path}`);
    const token = opts.token === undefined ? SCIM_TOKENS.OKTA_SCIM_TOKEN : opts.token;
    const event = apiEvent({
      method,
      path,
      routeKey: found.route.routeKey,
      rawQueryString: query,
      pathParameters: found.pathParameters,
      headers: {
        ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
        ...(opts.body !== undefined || opts.rawBody !== undefined
          ? { 'content-type': opts.contentType ?? 'application/scim+json' }
          : {}),
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.rawBody !== undefined ? { body: opts.rawBody } : {}),
    });
    event.requestContext.routeKey = found.route.routeKey;
    // The deployed function's time (infra/manifest.ts), as the runner gives it: with less, a
    // 10,000-member PATCH on a loaded machine ends in middy's timeout (500) where AWS completes.
    const res = (await handler(
      event,
      createLambdaContext('fedgate-scim'),
    )) as APIGatewayProxyResultV2 & {
      statusCode: number;
      headers: Record<string, string>;
      body?: string;
    };
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined,
    };
  };
  return { request, store, sessions, log, config };
};

export type ScimRig = ReturnType<typeof createScimRig>;
