import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type Clock, epochSeconds, systemClock } from '../clock.js';
import type { IdpConfig } from '../config/index.js';
import type { AwsAccess } from '../handback/index.js';
import { readBody } from '../http/capped-body.js';
import { GatewayError, InvalidRequestError } from '../http/errors.js';
import { defineFlow } from '../http/flow.js';
import { mediaType, requireMethod } from '../http/request.js';
import { type HttpResponse, json } from '../http/responses.js';
import { publicUrl } from '../http/urls.js';
import type { Log } from '../log.js';
import {
  type LiveSession,
  personOf,
  revocationScopesOf,
  SessionInvalidError,
  SessionRevokedError,
  type SessionService,
} from '../session/index.js';
import { loadSignedInIdp } from '../signin/index.js';
import { type SessionStore, StateItemExistsError, type StateStore } from '../store/index.js';
import * as z from '../zod.js';
import { type Approval, isClientLabel } from './approval.js';
import { redeemCliCode } from './codes.js';
import {
  DEVICE_POLL_INTERVAL_SECONDS,
  DEVICE_TTL_SECONDS,
  DeviceDecisionSchema,
  type DeviceRequest,
  DeviceRequestSchema,
  decisionKey,
  deviceIdOf,
  deviceKey,
  formatUserCode,
  isDeviceCode,
  newDeviceCodes,
  SLOW_DOWN_SECONDS,
  userCodeKey,
} from './device.js';
import {
  AccessDeniedError,
  AuthorizationPendingError,
  CliGrantInvalidError,
  CliUnsupportedGrantTypeError,
  ExpiredTokenError,
  SlowDownError,
} from './errors.js';
import { cliRoleOf, resolveCliRole } from './roles.js';

/** RFC 8628 §3.4's grant type for the device flow. */
export const DEVICE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

export interface CliApiDeps {
  sessions: SessionService;
  /** Read of the approving browser session's revocation marks when the CLI redeems. */
  sessionStore: Pick<SessionStore, 'read'>;
  state: StateStore;
  access: AwsAccess;
  loadIdp: (idpId: string) => Promise<IdpConfig | undefined>;
  /** The regions the console may open in (the portal's settings). */
  settings: () => Promise<{ regions: readonly string[]; defaultRegion: string }>;
  /** An untrusted console deep link → an allowlisted console URL (or the safe default). */
  parseDestination: (raw: string | undefined) => URL;
  publicBaseUrl: URL;
  log: Log;
  /** The clock (shared/clock.ts); default the system's. */
  clock?: Clock;
}

const BODY_MAX_BYTES = 4096;
const ENDED = new Set(['session_invalid', 'session_revoked']);
const BEARER = /^Bearer ([A-Za-z0-9._-]{1,128})$/i;

const headerOf = (event: APIGatewayProxyEventV2, name: string): string | undefined => {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name) return v;
  return undefined;
};

/**
 * The CLI API takes JSON from the CLI only: a browser page never calls it (no CORS, no cookies
 * read), and a request that carries an `Origin` is a browser's. The JSON content type also means
 * any cross-origin browser attempt needs a preflight, which no route answers.
 * @throws invalid_request.
 */
const readCliJson = (event: APIGatewayProxyEventV2): unknown => {
  if (headerOf(event, 'origin') !== undefined) {
    throw new InvalidRequestError('a browser origin on the CLI API');
  }
  if (mediaType(headerOf(event, 'content-type')) !== 'application/json') {
    throw new InvalidRequestError('expected application/json');
  }
  const text = readBody(event, BODY_MAX_BYTES).toString('utf8');
  try {
    return JSON.parse(text === '' ? '{}' : text);
  } catch {
    throw new InvalidRequestError('body is not JSON');
  }
};

const fields = <T>(raw: unknown, schema: z.ZodMiniType<T>): T => {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new InvalidRequestError('body fields invalid');
  return parsed.data;
};

const Client = z.string().check(z.refine(isClientLabel));
const Role = z.string().check(z.minLength(1), z.maxLength(256));
const CodeGrant = z.strictObject({
  grant_type: z.literal('authorization_code'),
  code: z.string().check(z.maxLength(128)),
  code_verifier: z.string().check(z.maxLength(128)),
  redirect_uri: z.string().check(z.maxLength(512)),
});
const DeviceGrant = z.strictObject({
  grant_type: z.literal(DEVICE_GRANT_TYPE),
  device_code: z.string().check(z.maxLength(128)),
});
const DeviceStart = z.strictObject({
  client: Client,
  idp: z.optional(z.string().check(z.regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/))),
});
const ClientOnly = z.strictObject({ client: Client });
const Region = z.string().check(z.maxLength(32));
const CredentialsRequest = z.strictObject({
  client: Client,
  role: Role,
  region: z.optional(Region),
});
const ConsoleRequest = z.strictObject({
  client: Client,
  role: Role,
  region: z.optional(Region),
  destination: z.optional(z.string().check(z.maxLength(2048))),
});

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

/** The console home of a region, unless a deep link was asked for (as the portal opens it). */
const consoleHome = (region: string) =>
  new URL(`https://${region}.console.aws.amazon.com/console/home?region=${region}`);

/**
 * The CLI's API (JSON in and out, no cookies, no CORS): `POST /cli/token` (a loopback code with
 * its PKCE verifier, or a device code) starts a session of kind `cli` and returns its bearer
 * token; `POST /cli/device` starts a device authorization (RFC 8628 §3.1–3.2); `POST /cli/roles`,
 * `POST /cli/credentials`, `POST /cli/console` and `POST /cli/logout` take
 * `Authorization: Bearer <session token>` and the CLI's machine label, and resume the session at
 * every call: the current rules, the revocation marks, the session's lifetime and idle limit.
 */
export const createCliApi = (deps: CliApiDeps) => {
  const clock = deps.clock ?? systemClock;
  const now = () => epochSeconds(clock);

  /** RFC 8628 §3.4–3.5: the device code's state, with `slow_down` for a poll within the interval. */
  const pollDevice = async (
    deviceCode: string,
  ): Promise<{ approval: Approval; client: string }> => {
    if (!isDeviceCode(deviceCode)) throw new CliGrantInvalidError('malformed device code');
    const id = deviceIdOf(deviceCode);
    // The decision is consumed (one winner); the request goes with it.
    const decision = DeviceDecisionSchema.safeParse(await deps.state.consume(decisionKey(id)));
    if (decision.success) {
      const request = DeviceRequestSchema.safeParse(await deps.state.consume(deviceKey(id)));
      if (!request.success) throw new ExpiredTokenError('decided, but the request expired');
      if (!decision.data.approved) throw new AccessDeniedError('the person denied it');
      return { approval: decision.data.approval, client: request.data.client };
    }
    const parsed = DeviceRequestSchema.safeParse(await deps.state.get(deviceKey(id)));
    const t = now();
    const expiresAt = parsed.success ? parsed.data.requestedAt + DEVICE_TTL_SECONDS : 0;
    if (!parsed.success || expiresAt <= t) {
      throw new ExpiredTokenError('no live device request for this code');
    }
    const request = parsed.data;
    const early = request.lastPollAt !== undefined && t - request.lastPollAt < request.interval;
    const next: DeviceRequest = {
      ...request,
      lastPollAt: t,
      interval: early ? request.interval + SLOW_DOWN_SECONDS : request.interval,
    };
    await deps.state.update(deviceKey(id), next, expiresAt);
    if (early) throw new SlowDownError(`polled within ${request.interval}s`);
    throw new AuthorizationPendingError('not decided yet');
  };

  /** The bearer session of a CLI request, resumed for this one use. */
  const resume = (event: APIGatewayProxyEventV2, client: string): Promise<LiveSession> => {
    const header = headerOf(event, 'authorization');
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token === undefined) throw new SessionInvalidError('no bearer token');
    return deps.sessions.resume(token, { kind: 'cli', client });
  };

  /** A region the portal settings offer (default: their default region). */
  const requireRegion = async (asked: string | undefined): Promise<string> => {
    const { regions, defaultRegion } = await deps.settings();
    const region = asked ?? defaultRegion;
    if (!regions.includes(region)) throw new InvalidRequestError('region not offered');
    return region;
  };

  const sessionView = (live: LiveSession) => ({
    endsAt: iso(live.endsAt),
    idleEndsAt: iso(live.idleEndsAt),
    idp: live.idp.id,
    idpDisplayName: live.idp.displayName,
    ...(live.record.identity.displayName !== undefined
      ? { displayName: live.record.identity.displayName }
      : {}),
  });

  /**
   * `POST /cli/token` as named steps: the grant (a loopback code with its PKCE verifier, or a
   * decided device code) → the approving browser session must still stand (its revocation marks;
   * the approval may be minutes old) → the identity's IdP as configured now → a session of kind
   * `cli`, bounded by the browser session's end.
   */
  const tokenFlow = defineFlow<{ event: APIGatewayProxyEventV2 }, HttpResponse>(
    'cli-token',
    deps.log,
  )
    .step('requirePost', ({ event }) => requireMethod(event, 'POST'))
    // One endpoint, two grants, as OAuth's token endpoint (RFC 6749 §4.1.3, RFC 8628 §3.4): the
    // grant_type names the job; each grant's body is then strict.
    .step('redeemGrant', async ({ event }) => {
      const body = readCliJson(event);
      const grantType = (body as { grant_type?: unknown } | null)?.grant_type;
      if (grantType === 'authorization_code') {
        const req = fields(body, CodeGrant);
        const code = await redeemCliCode(deps.state, {
          code: req.code,
          codeVerifier: req.code_verifier,
          redirectUri: req.redirect_uri,
        });
        return { approval: code.approval, client: code.client };
      }
      if (grantType === DEVICE_GRANT_TYPE) {
        return pollDevice(fields(body, DeviceGrant).device_code);
      }
      throw new CliUnsupportedGrantTypeError(`grant_type ${String(grantType).slice(0, 64)}`);
    })
    .step('checkApprovingSession', async ({ approval: { identity, browser } }) => {
      const { revokedBefore } = await deps.sessionStore.read(
        browser.sessionId,
        revocationScopesOf(identity),
      );
      if (browser.createdAt < revokedBefore) {
        throw new SessionRevokedError('the approving browser session was revoked since');
      }
    })
    .step('loadSignedInIdp', async ({ approval }) => ({
      idp: await loadSignedInIdp(deps.loadIdp, approval.identity),
    }))
    .end('startSession', async ({ approval: { identity, browser }, client, idp }) => {
      const { tokenValue, record } = await deps.sessions.start({
        identity,
        idp,
        kind: 'cli',
        client,
        upstreamEndsAt: browser.endsAt,
      });
      return json(200, {
        token_type: 'Bearer',
        access_token: tokenValue,
        expires_in: record.endsAt - now(),
        session: {
          endsAt: iso(record.endsAt),
          idp: idp.id,
          idpDisplayName: idp.displayName,
          ...(identity.displayName !== undefined ? { displayName: identity.displayName } : {}),
          client,
        },
      });
    });

  return {
    /** The token flow's step names, in order. */
    tokenSteps: tokenFlow.steps,
    /**
     * `POST /cli/token`: `{ grant_type: "authorization_code", code, code_verifier, redirect_uri }`
     * or `{ grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code }`.
     * @throws invalid_grant, unsupported_grant_type, authorization_pending, slow_down,
     * expired_token, access_denied, session_revoked, session_invalid, invalid_request,
     * temporarily_unavailable.
     */
    token: (event: APIGatewayProxyEventV2): Promise<HttpResponse> => tokenFlow.run({ event }),

    /**
     * `POST /cli/device` `{ client, idp? }`: a device authorization (RFC 8628 §3.2): the device
     * code (the CLI's secret), the user code (`XXXX-XXXX`), where to enter it, 600 s, every 5 s.
     * @throws invalid_request, temporarily_unavailable.
     */
    async device(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const body = fields(readCliJson(event), DeviceStart);
      const t = now();
      const expiresAt = t + DEVICE_TTL_SECONDS;
      let codes = newDeviceCodes();
      const id = deviceIdOf(codes.deviceCode);
      const request: DeviceRequest = {
        v: 1,
        client: body.client,
        requestedAt: t,
        sourceIp: event.requestContext.http.sourceIp.slice(0, 64),
        ...(body.idp !== undefined ? { idp: body.idp } : {}),
        interval: DEVICE_POLL_INTERVAL_SECONDS,
      };
      await deps.state.put(deviceKey(id), request, expiresAt);
      // A user code that is live already (one in 2^34 per live request) is drawn again.
      for (let attempt = 0; ; attempt++) {
        try {
          await deps.state.put(userCodeKey(codes.userCode), { v: 1, deviceId: id }, expiresAt);
          break;
        } catch (err) {
          if (!(err instanceof StateItemExistsError) || attempt >= 3) throw err;
          codes = { ...codes, userCode: newDeviceCodes().userCode };
        }
      }
      deps.log.info('cli device authorization started', { client: body.client });
      const userCode = formatUserCode(codes.userCode);
      const verification = publicUrl(deps.publicBaseUrl, '/cli/device');
      const complete = new URL(verification);
      complete.searchParams.set('user_code', userCode);
      if (body.idp !== undefined) complete.searchParams.set('idp', body.idp);
      return json(200, {
        device_code: codes.deviceCode,
        user_code: userCode,
        verification_uri: verification.href,
        verification_uri_complete: complete.href,
        expires_in: DEVICE_TTL_SECONDS,
        interval: DEVICE_POLL_INTERVAL_SECONDS,
      });
    },

    /**
     * `POST /cli/roles` `{ client }`: what the current rules grant, the console regions, the
     * session's bounds.
     * @throws session_invalid, session_revoked, invalid_request, temporarily_unavailable.
     */
    async roles(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const body = fields(readCliJson(event), ClientOnly);
      const live = await resume(event, body.client);
      await deps.sessions.touch(live);
      const { regions, defaultRegion } = await deps.settings();
      return json(200, {
        roles: live.grants.map(cliRoleOf),
        regions,
        defaultRegion,
        session: sessionView(live),
      });
    },

    /**
     * `POST /cli/credentials` `{ client, role, region? }`: fresh credentials for the role the
     * current rules grant, in the credential_process shape. They last at most until the session
     * would idle out, so a CLI in use refreshes (and keeps its session alive) before then.
     * Credentials do not depend on a region; one asked for must be offered (as on the portal's
     * access keys page) and is echoed for the caller's AWS_REGION.
     * @throws session_invalid, session_revoked, grant_not_available, cli_role_ambiguous,
     * invalid_request, the role assumption's codes, temporarily_unavailable.
     */
    async credentials(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const body = fields(readCliJson(event), CredentialsRequest);
      const live = await resume(event, body.client);
      const grant = resolveCliRole(live.grants, body.role);
      const region = body.region === undefined ? undefined : await requireRegion(body.region);
      const aws = await deps.access.credentials(grant, personOf(live.record.identity), {
        sessionEndsAt: live.idleEndsAt,
        target: 'cli',
      });
      await deps.sessions.touch(live, grant.id);
      return json(200, {
        Version: 1,
        AccessKeyId: aws.accessKeyId,
        SecretAccessKey: aws.secretAccessKey,
        SessionToken: aws.sessionToken,
        Expiration: aws.expiration.toISOString(),
        role: cliRoleOf(grant),
        ...(region !== undefined ? { region } : {}),
        session: sessionView(live),
      });
    },

    /**
     * `POST /cli/console` `{ client, role, region?, destination? }`: a console sign-in URL (a
     * secret for 15 minutes: only in this JSON, for the CLI to open).
     * @throws session_invalid, session_revoked, grant_not_available, cli_role_ambiguous,
     * invalid_request, the role assumption's and the federation endpoint's codes.
     */
    async console(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const body = fields(readCliJson(event), ConsoleRequest);
      const live = await resume(event, body.client);
      const grant = resolveCliRole(live.grants, body.role);
      const region = await requireRegion(body.region);
      const destination =
        body.destination !== undefined
          ? deps.parseDestination(body.destination)
          : consoleHome(region);
      const url = await deps.access.console(grant, personOf(live.record.identity), {
        destination,
        sessionEndsAt: live.idleEndsAt,
      });
      await deps.sessions.touch(live, grant.id);
      return json(200, { url: url.href, role: cliRoleOf(grant) });
    },

    /**
     * `POST /cli/logout` `{ client }`: ends the bearer's session (its item is deleted); 204 also
     * when it had already ended or was revoked.
     * @throws invalid_request, temporarily_unavailable (nothing is reported done that was not).
     */
    async logout(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const body = fields(readCliJson(event), ClientOnly);
      // Only a live CLI session of this client is ended; one that already ended needs nothing.
      const live = await resume(event, body.client).catch((err: unknown) => {
        if (err instanceof GatewayError && ENDED.has(err.code)) return undefined;
        throw err;
      });
      if (live) await deps.sessions.end(live.tokenValue);
      return { statusCode: 204, headers: {}, body: '' };
    },
  };
};

export type CliApi = ReturnType<typeof createCliApi>;
