import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type Clock, epochSeconds, systemClock } from '../clock.js';
import type { IdpConfig, SpaClient } from '../config/index.js';
import { type AwsAccess, NoRoleMatchedError } from '../handback/index.js';
import { readBody } from '../http/capped-body.js';
import { clearCookie, readCookie, serializeCookie } from '../http/cookies.js';
import { InvalidRequestError } from '../http/errors.js';
import { defineFlow } from '../http/flow.js';
import { mediaType, queryParam, requireMethod } from '../http/request.js';
import { type HttpResponse, json } from '../http/responses.js';
import type { Log } from '../log.js';
import type { Grant, Mapper } from '../mapping/index.js';
import {
  GrantNotAvailableError,
  type LiveSession,
  personOf,
  type SessionIdentity,
  type SessionService,
} from '../session/index.js';
import { grantsFor, loadSignedInIdp, recordFirstUse } from '../signin/index.js';
import type { SpaClientRegistry, StateStore } from '../store/index.js';
import * as z from '../zod.js';
import { requireSpaClient, spaGrantsOf } from './clients.js';
import {
  SpaCodeInvalidError,
  SpaGrantRequiredError,
  SpaLoginBindingInvalidError,
  SpaOriginNotAllowedError,
  SpaVerifierMismatchError,
} from './errors.js';
import {
  codeKey,
  isLoginBinding,
  isPkceVerifier,
  SPA_LOGIN_COOKIE,
  SpaCodeSchema,
  verifierMatches,
} from './handoff.js';

/**
 * The session cookie of one SPA client, `__Host-fedgate-spa-<client>`: a session token of kind
 * `spa` for that client. SameSite=None: an SPA on another site calls fedgate with
 * `fetch(…, { credentials: 'include' })`, a cross-site subrequest that Lax/Strict cookies never
 * accompany. What SameSite would otherwise stop (a foreign page posting with the cookie) is
 * stopped by the Origin check on every request and the JSON content type (a preflight).
 */
export const spaSessionCookie = (clientId: string): string => `spa-${clientId}`;

const BODY_MAX_BYTES = 2048;
// A grant id as the mapping engine makes it (shared/mapping: a hash of IdP and role ARN).
const GRANT_ID = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/));

const RedeemSchema = z.strictObject({
  code: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
  code_verifier: z.string().check(z.refine(isPkceVerifier)),
  grant: z.optional(GRANT_ID),
});
const RefreshSchema = z.strictObject({ grant: z.optional(GRANT_ID) });
const EmptySchema = z.strictObject({});

export interface SpaEndpointsDeps {
  clients: SpaClientRegistry;
  /** The state table: one-time codes. */
  state: StateStore;
  /** Sessions of kind `spa`, re-evaluated at every use. */
  sessions: SessionService;
  /** Credentials for a grant (target `spa`), bounded by the session. */
  access: AwsAccess;
  /** The IdP's current config (a redeemed code starts a session under it). */
  loadIdp: (idpId: string) => Promise<IdpConfig | undefined>;
  /** The IdP's compiled rules (with the gateway-wide rules). */
  mapperFor: (idp: IdpConfig) => Promise<Mapper>;
  log: Log;
  /** The clock (shared/clock.ts); default the system's. */
  clock?: Clock;
}

const headerOf = (event: APIGatewayProxyEventV2, name: string): string | undefined => {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name) return v;
  return undefined;
};

/** CORS for exactly the client's origin, with credentials (Fetch standard §3.2). */
const corsHeaders = (client: SpaClient): Record<string, string> => ({
  'access-control-allow-origin': client.origin,
  'access-control-allow-credentials': 'true',
  vary: 'Origin',
});

/**
 * The request must come from the client's own origin: the browser sets `Origin` on every
 * cross-origin fetch and on every POST, and a page cannot forge it.
 */
const requireOrigin = (event: APIGatewayProxyEventV2, client: SpaClient): void => {
  const origin = headerOf(event, 'origin');
  if (origin !== client.origin) {
    throw new SpaOriginNotAllowedError(
      `origin ${(origin ?? '(none)').slice(0, 100)} is not client ${client.id}'s`,
    );
  }
};

/**
 * A JSON body (the content type also forces a CORS preflight on cross-origin calls).
 * @throws invalid_request for another content type, a body over 2 KiB or one that is not JSON.
 */
const readJson = (event: APIGatewayProxyEventV2): unknown => {
  if (mediaType(headerOf(event, 'content-type')) !== 'application/json') {
    throw new InvalidRequestError('expected application/json');
  }
  const text = readBody(event, BODY_MAX_BYTES).toString('utf8');
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch {
    throw new InvalidRequestError('body is not JSON');
  }
};

const parseFields = <T>(raw: unknown, schema: z.ZodMiniType<T>): T => {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new InvalidRequestError('body fields invalid');
  return parsed.data;
};

/** What the SPA may see of a grant: its opaque id and labels, never an ARN to choose from. */
const grantView = (g: Grant) => ({
  id: g.id,
  label: g.label,
  accountId: g.accountId,
  ...(g.accountAlias ? { accountAlias: g.accountAlias } : {}),
});

const identityView = (s: SessionIdentity) => ({
  idp: s.idp,
  subject: s.subjectRef,
  ...(s.displayName !== undefined ? { displayName: s.displayName } : {}),
});

const sessionView = (endsAt: number) => ({ endsAt: new Date(endsAt * 1000).toISOString() });

/**
 * The grant a request asks for among what this client may hand out now.
 * @throws no_role_matched (nothing left: a deny, a deleted rule, allowedRoles),
 * grant_not_available (the named grant is not among them), spa_grant_required (several, none named).
 */
const chooseGrant = (grants: readonly Grant[], grantId: string | undefined): Grant => {
  if (grants.length === 0) throw new NoRoleMatchedError('the current rules grant this client none');
  if (grantId === undefined) {
    if (grants.length === 1) return grants[0] as Grant;
    throw new SpaGrantRequiredError(`${grants.length} grants and none chosen`);
  }
  const grant = grants.find((g) => g.id === grantId);
  if (!grant) throw new GrantNotAvailableError('the current rules do not grant it to this client');
  return grant;
};

/**
 * The SPA's side of fedgate (SECURITY.md §6, README.md in this folder): `POST /redeem` (a one-time
 * code with the SPA's PKCE verifier and the login-binding cookie starts a session of kind `spa`),
 * `POST /credentials` (fresh credentials from the session), `POST /grants`, `POST /logout`, and
 * their CORS preflights. A session stores the verified identity; every use re-runs the CURRENT
 * rules, filtered by the client's `allowedRoles`. Every route takes `?client_id=` (so a preflight
 * can name its client) and answers only the client's registered origin.
 */
export const createSpaEndpoints = (deps: SpaEndpointsDeps) => {
  const clock = deps.clock ?? systemClock;
  const now = () => epochSeconds(clock);

  const clientOf = (event: APIGatewayProxyEventV2) =>
    requireSpaClient(deps.clients, queryParam(event, 'client_id'));

  /** The request's client, from its own origin, with its JSON body parsed by `schema`. */
  const accept = async <T>(
    event: APIGatewayProxyEventV2,
    schema: z.ZodMiniType<T>,
  ): Promise<{ client: SpaClient; body: T }> => {
    requireMethod(event, 'POST');
    const client = await clientOf(event);
    requireOrigin(event, client);
    return { client, body: parseFields(readJson(event), schema) };
  };

  const resume = (event: APIGatewayProxyEventV2, client: SpaClient) =>
    deps.sessions.resume(readCookie(event.cookies, spaSessionCookie(client.id)), {
      kind: 'spa',
      client: client.id,
    });

  // The idle timer only: a failed write must not cost the SPA credentials already issued.
  const touch = (live: LiveSession, grantId?: string) =>
    deps.sessions.touch(live, grantId).catch((err: unknown) => {
      deps.log.warn('session use not recorded', { error: err });
    });

  const credentialsFor = async (
    client: SpaClient,
    identity: SessionIdentity,
    grant: Grant,
    sessionEndsAt: number,
  ): Promise<HttpResponse> => {
    const aws = await deps.access.credentials(grant, personOf(identity), {
      sessionEndsAt,
      target: 'spa',
    });
    deps.log.info('spa credentials issued', { client: client.id, grantId: grant.id });
    return json(200, {
      Version: 1,
      AccessKeyId: aws.accessKeyId,
      SecretAccessKey: aws.secretAccessKey,
      SessionToken: aws.sessionToken,
      Expiration: aws.expiration.toISOString(),
      role: { ...grantView(grant), arn: grant.roleArn },
      tags: Object.fromEntries(grant.tags.map((t) => [t.key, t.value])),
      identity: identityView(identity),
      session: sessionView(sessionEndsAt),
    });
  };

  /** The request's client from its own origin: the first steps of every SPA route. */
  const acceptStep =
    <T>(schema: z.ZodMiniType<T>) =>
    ({ event }: { event: APIGatewayProxyEventV2 }) =>
      accept(event, schema);

  const redeemFlow = defineFlow<{ event: APIGatewayProxyEventV2 }, HttpResponse>(
    'spa-redeem',
    deps.log,
  )
    .step('acceptSpaRequest', acceptStep(RedeemSchema))
    // Consumed first, with a conditional delete: of concurrent redemptions exactly one gets it,
    // and a code presented by another browser or with a wrong verifier is gone too (it leaked:
    // nobody may use it). Origin, content type and body shape were refused before.
    .step('consumeCode', async ({ client, body }) => {
      const parsed = SpaCodeSchema.safeParse(await deps.state.consume(codeKey(body.code)));
      if (!parsed.success)
        throw new SpaCodeInvalidError('code unknown, expired, used or malformed');
      const code = parsed.data;
      if (code.client !== client.id) throw new SpaCodeInvalidError(`code of client ${code.client}`);
      return { code };
    })
    .step('checkLoginBinding', ({ event, code }) => {
      if (!isLoginBinding(readCookie(event.cookies, SPA_LOGIN_COOKIE), code.loginBinding)) {
        throw new SpaLoginBindingInvalidError('no login-binding cookie, or another login’s');
      }
    })
    .step('verifyCodeVerifier', ({ body, code }) => {
      if (!verifierMatches(body.code_verifier, code.codeChallenge)) {
        throw new SpaVerifierMismatchError('S256(code_verifier) differs from the challenge');
      }
    })
    .step('loadSignedInIdp', async ({ code }) => ({
      idp: await loadSignedInIdp(deps.loadIdp, code.identity),
    }))
    // The rules as they are now, not as they were at the callback a minute ago.
    .step('requireGrants', async ({ client, code, idp }) => ({
      grants: spaGrantsOf(client, await grantsFor(deps, idp, code.identity)),
    }))
    .step('chooseGrant', ({ body, grants }) => ({
      grant:
        body.grant !== undefined || grants.length <= 1
          ? chooseGrant(grants, body.grant)
          : undefined,
    }))
    .step('startSession', async ({ client, code, idp }) => {
      const { tokenValue, record } = await deps.sessions.start({
        identity: code.identity,
        idp,
        kind: 'spa',
        client: client.id,
        ...(code.upstreamEndsAt !== undefined ? { upstreamEndsAt: code.upstreamEndsAt } : {}),
        clientMaxSeconds: client.sessionMaxSeconds,
        signedInAt: code.verifiedAt,
      });
      return { tokenValue, endsAt: record.endsAt };
    })
    .end('handBack', async ({ client, code, grants, grant, tokenValue, endsAt }) => {
      const res = grant
        ? await credentialsFor(client, code.identity, grant, endsAt)
        : json(200, {
            grants: grants.map(grantView),
            identity: identityView(code.identity),
            session: sessionView(endsAt),
          });
      // As at the browser's sign-in: "recently used" must not cost the credentials.
      if (grant) await recordFirstUse(deps.sessions, tokenValue, grant.id);
      res.cookies = [
        serializeCookie(spaSessionCookie(client.id), tokenValue, {
          maxAgeSeconds: endsAt - now(),
          sameSite: 'None',
        }),
        // The binding has done its job: the code it guarded is spent.
        clearCookie(SPA_LOGIN_COOKIE, 'None'),
      ];
      return res;
    });

  const credentialsFlow = defineFlow<{ event: APIGatewayProxyEventV2 }, HttpResponse>(
    'spa-credentials',
    deps.log,
  )
    .step('acceptSpaRequest', acceptStep(RefreshSchema))
    .step('resumeSession', async ({ event, client }) => ({ live: await resume(event, client) }))
    .step('chooseGrant', ({ client, body, live }) => ({
      grant: chooseGrant(spaGrantsOf(client, live.grants), body.grant),
    }))
    .end('issueCredentials', async ({ client, live, grant }) => {
      const res = await credentialsFor(client, live.record.identity, grant, live.endsAt);
      await touch(live, grant.id);
      return res;
    });

  return {
    /**
     * `POST /redeem?client_id=…` `{ code, code_verifier[, grant] }` with the login-binding cookie:
     * consumes the one-time code, checks it against this client, this browser's login and the
     * SPA's verifier, runs the CURRENT rules on the identity it holds, and starts a session of
     * kind `spa` (cookie `__Host-fedgate-spa-<client>`). One grant (or the one named): credentials;
     * several and none named: the list.
     * @throws spa_client_unknown, spa_origin_not_allowed, invalid_request, spa_code_invalid,
     * spa_login_binding_invalid, spa_verifier_mismatch, session_invalid (IdP removed, upstream
     * login over), no_role_matched, grant_not_available, temporarily_unavailable, sts_*.
     */
    redeem: (event: APIGatewayProxyEventV2): Promise<HttpResponse> => redeemFlow.run({ event }),

    /**
     * `POST /credentials?client_id=…` `{ [grant] }` with the session cookie: fresh credentials
     * for a grant the CURRENT rules (and the client's allowedRoles) give the session's identity.
     * @throws spa_client_unknown, spa_origin_not_allowed, invalid_request, session_invalid,
     * session_revoked, no_role_matched, grant_not_available, spa_grant_required,
     * temporarily_unavailable, sts_* (STS refusals).
     */
    credentials: (event: APIGatewayProxyEventV2): Promise<HttpResponse> =>
      credentialsFlow.run({ event }),

    /**
     * `POST /grants?client_id=…`: what the CURRENT rules give the session for this client, as
     * opaque ids and labels (empty after a deny).
     * @throws spa_client_unknown, spa_origin_not_allowed, session_invalid, session_revoked.
     */
    async grants(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      const { client } = await accept(event, EmptySchema);
      const live = await resume(event, client);
      await touch(live);
      return json(200, {
        grants: spaGrantsOf(client, live.grants).map(grantView),
        identity: identityView(live.record.identity),
        session: sessionView(live.endsAt),
      });
    },

    /**
     * `POST /logout?client_id=…`: ends the session (its item) and clears the cookie; 204 also
     * without one.
     * @throws spa_client_unknown, spa_origin_not_allowed, invalid_request.
     */
    async logout(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      const { client } = await accept(event, EmptySchema);
      const tokenValue = readCookie(event.cookies, spaSessionCookie(client.id));
      await deps.sessions.end(tokenValue);
      deps.log.info('spa session ended', { client: client.id, hadSession: Boolean(tokenValue) });
      return {
        statusCode: 204,
        headers: {},
        body: '',
        cookies: [clearCookie(spaSessionCookie(client.id), 'None')],
      };
    },

    /**
     * `OPTIONS …?client_id=…`: the CORS preflight, granted to the client's origin only.
     * @throws spa_client_unknown, spa_origin_not_allowed (no CORS headers: the browser blocks).
     */
    async preflight(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'OPTIONS');
      const client = await clientOf(event);
      requireOrigin(event, client);
      return {
        statusCode: 204,
        headers: {
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': 'content-type',
          'access-control-max-age': '600',
        },
        body: '',
      };
    },
  };
};

/**
 * middy middleware for the SPA routes: every response, errors included, gets `Vary: Origin`, and
 * the CORS grant (exact origin, credentials) only when the request's `Origin` is the registered
 * origin of its `client_id`. Anything else gets no `Access-Control-Allow-*` header at all.
 */
export const spaCors = (clients: SpaClientRegistry): MiddlewareObj => {
  const complete = async (request: { event: unknown; response: unknown }) => {
    const response = request.response as HttpResponse | undefined;
    if (!response || typeof response !== 'object') return;
    response.headers = { ...(response.headers ?? {}), vary: 'Origin' };
    const event = request.event as APIGatewayProxyEventV2;
    const origin = headerOf(event, 'origin');
    let clientId: string | undefined;
    try {
      clientId = queryParam(event, 'client_id');
    } catch {
      return;
    }
    if (!origin || !clientId) return;
    const client = await clients.get(clientId).catch(() => undefined);
    if (client && client.origin === origin) Object.assign(response.headers, corsHeaders(client));
  };
  return { after: complete, onError: complete };
};
