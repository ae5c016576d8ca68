import { randomBytes } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { SpaClient } from '../config/index.js';
import type { AwsSession, RoleAssumption } from '../handback/index.js';
import { clearCookie, readCookie, serializeCookie } from '../http/cookies.js';
import { InvalidRequestError } from '../http/errors.js';
import { mediaType, queryParam, readBody, requireMethod } from '../http/request.js';
import { type HttpResponse, json } from '../http/responses.js';
import type { Log, Meter } from '../log.js';
import type { Grant } from '../mapping/index.js';
import type { StateStore } from '../store/index.js';
import * as z from '../zod.js';
import { requireSpaClient, type SpaClientRegistry } from './clients.js';
import {
  SpaCodeInvalidError,
  SpaGrantNotAllowedError,
  SpaGrantRequiredError,
  SpaOriginNotAllowedError,
  SpaSessionInvalidError,
  SpaVerifierMismatchError,
} from './errors.js';
import {
  codeKey,
  isPkceVerifier,
  SpaCodeSchema,
  type SpaSession,
  SpaSessionSchema,
  sessionKey,
  verifierMatches,
} from './handoff.js';

/**
 * The session cookie of one SPA client. SameSite=None: an SPA on another site calls fedgate with
 * `fetch(…, { credentials: 'include' })`, a cross-site subrequest that Lax/Strict cookies never
 * accompany. What SameSite would otherwise stop (a foreign page posting with the cookie) is
 * stopped by the Origin check on every request and the JSON content type (a preflight).
 */
export const spaSessionCookie = (clientId: string): string => `spa-${clientId}`;

/** The least STS accepts (`DurationSeconds` ≥ 900). */
const MIN_CREDENTIAL_SECONDS = 900;
const BODY_MAX_BYTES = 2048;
const GRANT_ID = z.string().check(z.minLength(1), z.maxLength(128));

const RedeemSchema = z.strictObject({
  code: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
  code_verifier: z.string().check(z.refine(isPkceVerifier)),
  grant: z.optional(GRANT_ID),
});
const RefreshSchema = z.strictObject({ grant: z.optional(GRANT_ID) });
const EmptySchema = z.strictObject({});

export interface SpaEndpointsDeps {
  clients: SpaClientRegistry;
  state: StateStore;
  /** The `oidc` RoleAssumption: fedgate's web identity token → AssumeRoleWithWebIdentity. */
  assume: RoleAssumption;
  log: Log;
  /**
   * Counts completed sign-ins (`SignIns`, protocol and target `spa`) when a code becomes a
   * session, as the hand-back counts the console and keys ones; refreshes are not sign-ins.
   */
  meter?: Meter;
  /** Epoch seconds. */
  now?: () => number;
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

/**
 * The SPA's side of fedgate (issue #4, SECURITY.md §6): `POST /credentials` (redeem a one-time
 * code with the SPA's PKCE verifier, or refresh with the session cookie), `POST /grants` (the
 * session's grant ids), `POST /logout`, and their CORS preflights. Every route takes `?client_id=`
 * (so a preflight can name its client) and answers only the client's registered origin.
 */
export const createSpaEndpoints = (deps: SpaEndpointsDeps) => {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));

  const clientOf = (event: APIGatewayProxyEventV2) =>
    requireSpaClient(deps.clients, queryParam(event, 'client_id'));

  const chooseGrant = (grants: readonly Grant[], grantId: string | undefined): Grant => {
    if (grantId === undefined) {
      if (grants.length === 1) return grants[0] as Grant;
      throw new SpaGrantRequiredError(`${grants.length} grants and none chosen`);
    }
    const grant = grants.find((g) => g.id === grantId);
    if (!grant) throw new SpaGrantNotAllowedError('grant id not in the session');
    return grant;
  };

  const credentialsFor = async (session: SpaSession, grant: Grant): Promise<HttpResponse> => {
    // Credentials should not outlive the session by more than STS's minimum duration.
    const remaining = session.endsAt - now();
    const durationSeconds = Math.max(
      MIN_CREDENTIAL_SECONDS,
      Math.min(grant.durationSeconds, remaining),
    );
    const aws: AwsSession = await deps.assume({ ...grant, durationSeconds }, session.person);
    deps.log.info('spa credentials issued', {
      client: session.client,
      idp: session.person.idp,
      subject: session.person.subjectRef,
      roleArn: grant.roleArn,
      durationSeconds,
    });
    return json(200, {
      Version: 1,
      AccessKeyId: aws.accessKeyId,
      SecretAccessKey: aws.secretAccessKey,
      SessionToken: aws.sessionToken,
      Expiration: aws.expiration.toISOString(),
      role: { ...grantView(grant), arn: grant.roleArn },
      tags: Object.fromEntries(grant.tags.map((t) => [t.key, t.value])),
      identity: {
        idp: session.person.idp,
        subject: session.person.subjectRef,
        ...(session.person.displayName ? { displayName: session.person.displayName } : {}),
      },
      session: { endsAt: new Date(session.endsAt * 1000).toISOString() },
    });
  };

  const liveSession = async (event: APIGatewayProxyEventV2, client: SpaClient) => {
    const id = readCookie(event.cookies, spaSessionCookie(client.id));
    if (!id) throw new SpaSessionInvalidError('no session cookie');
    const parsed = SpaSessionSchema.safeParse(await deps.state.get(sessionKey(id)));
    // The item's expiry is the session's end; the read checks it (TTL deletes late).
    if (!parsed.success || parsed.data.endsAt <= now())
      throw new SpaSessionInvalidError('no live session (ended, logged out or unknown)');
    if (parsed.data.client !== client.id)
      throw new SpaSessionInvalidError(`session of client ${parsed.data.client}`);
    return parsed.data;
  };

  const redeem = async (raw: unknown, client: SpaClient) => {
    const body = parseFields(raw, RedeemSchema);
    // Consumed first, with a conditional delete: of concurrent redemptions exactly one gets it,
    // and a code presented with a wrong verifier is gone too (it leaked: nobody may use it).
    const parsed = SpaCodeSchema.safeParse(await deps.state.consume(codeKey(body.code)));
    if (!parsed.success) throw new SpaCodeInvalidError('code unknown, expired or redeemed');
    const code = parsed.data;
    if (code.client !== client.id) throw new SpaCodeInvalidError(`code of client ${code.client}`);
    if (!verifierMatches(body.code_verifier, code.codeChallenge)) {
      throw new SpaVerifierMismatchError('S256(code_verifier) differs from the challenge');
    }
    const created = now();
    const endsAt = Math.min(code.upstreamExpiresAt, created + client.sessionMaxSeconds);
    if (endsAt <= created) throw new SpaCodeInvalidError('the upstream login has ended');
    const session: SpaSession = {
      v: 1,
      client: client.id,
      person: code.person,
      grants: code.grants,
      created,
      endsAt,
    };
    const id = randomBytes(32).toString('base64url');
    await deps.state.put(sessionKey(id), session, endsAt);
    const cookie = serializeCookie(spaSessionCookie(client.id), id, {
      maxAgeSeconds: endsAt - created,
      sameSite: 'None',
    });
    deps.log.info('spa session started', {
      client: client.id,
      idp: code.person.idp,
      subject: code.person.subjectRef,
      endsAt,
    });
    // Several grants and none named: the session exists, the SPA lists and chooses.
    const res =
      body.grant === undefined && code.grants.length > 1
        ? json(200, {
            grants: code.grants.map(grantView),
            identity: { idp: code.person.idp, subject: code.person.subjectRef },
            session: { endsAt: new Date(endsAt * 1000).toISOString() },
          })
        : await credentialsFor(session, chooseGrant(code.grants, body.grant));
    res.cookies = [cookie];
    deps.meter?.count('SignIns', { protocol: code.person.protocol, target: 'spa' });
    return res;
  };

  return {
    /**
     * `POST /credentials?client_id=…`: with `{ code, code_verifier[, grant] }` redeems a one-time
     * code and starts the session (cookie); with `{ [grant] }` and the cookie, fresh credentials.
     * @throws spa_client_unknown, spa_origin_not_allowed, invalid_request, spa_code_invalid,
     * spa_verifier_mismatch, spa_session_invalid, spa_grant_required, spa_grant_not_allowed,
     * temporarily_unavailable, sts_* (STS refusals).
     */
    async credentials(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const client = await clientOf(event);
      requireOrigin(event, client);
      const raw = readJson(event);
      if (typeof raw === 'object' && raw !== null && 'code' in raw) return redeem(raw, client);
      const body = parseFields(raw, RefreshSchema);
      const session = await liveSession(event, client);
      return credentialsFor(session, chooseGrant(session.grants, body.grant));
    },

    /**
     * `POST /grants?client_id=…`: the session's grants as opaque ids and labels.
     * @throws spa_client_unknown, spa_origin_not_allowed, spa_session_invalid.
     */
    async grants(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const client = await clientOf(event);
      requireOrigin(event, client);
      parseFields(readJson(event), EmptySchema);
      const session = await liveSession(event, client);
      return json(200, {
        grants: session.grants.map(grantView),
        identity: {
          idp: session.person.idp,
          subject: session.person.subjectRef,
          ...(session.person.displayName ? { displayName: session.person.displayName } : {}),
        },
        session: { endsAt: new Date(session.endsAt * 1000).toISOString() },
      });
    },

    /**
     * `POST /logout?client_id=…`: deletes the session item and the cookie; 204 also without one.
     * @throws spa_client_unknown, spa_origin_not_allowed.
     */
    async logout(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const client = await clientOf(event);
      requireOrigin(event, client);
      const id = readCookie(event.cookies, spaSessionCookie(client.id));
      if (id) await deps.state.delete(sessionKey(id));
      deps.log.info('spa session ended', { client: client.id, hadSession: Boolean(id) });
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
