import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type Clock, epochSeconds, systemClock } from '../clock.js';
import { readCookie } from '../http/cookies.js';
import { GatewayError, InvalidRequestError } from '../http/errors.js';
import { loginPath } from '../http/home-endpoint.js';
import { parseForm, queryParam, requireMethod } from '../http/request.js';
import { type HttpResponse, redirect } from '../http/responses.js';
import { publicUrl } from '../http/urls.js';
import type { Log } from '../log.js';
import { CsrfInvalidError } from '../portal/index.js';
import {
  csrfTokenOf,
  isCsrfTokenOf,
  type LiveSession,
  SESSION_COOKIE,
  type SessionService,
} from '../session/index.js';
import type { IdpSummary, StateStore } from '../store/index.js';
import { approvalOf } from './approval.js';
import type { UserCodeLimiter } from './attempts.js';
import {
  authorizePathOf,
  type CliAuthorizeRequest,
  parseCliAuthorizeRequest,
} from './authorize-request.js';
import { issueCliCode } from './codes.js';
import {
  DEVICE_TTL_SECONDS,
  type DeviceDecision,
  DeviceRequestSchema,
  decisionKey,
  deviceKey,
  formatUserCode,
  normaliseUserCode,
  UserCodeItemSchema,
  userCodeKey,
} from './device.js';
import { CliUserCodeInvalidError } from './errors.js';
import {
  cliConsentPage,
  cliSignInPage,
  deviceCodeEntryPage,
  deviceConfirmPage,
  deviceDonePage,
  type SignedInAs,
} from './pages.js';

export interface CliPagesDeps {
  sessions: SessionService;
  state: StateStore;
  /** Counts user-code attempts per source and overall (createUserCodeLimiter). */
  limitUserCodes: UserCodeLimiter;
  /** Every configured IdP (the sign-in choice lists the listed ones; `idp=` may name any). */
  listIdps: () => Promise<readonly IdpSummary[]>;
  publicBaseUrl: URL;
  log: Log;
  /** The clock (shared/clock.ts); default the system's. */
  clock?: Clock;
}

const FORM_MAX_BYTES = 4096;
const IDP_ID = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const ENDED = new Set(['session_invalid', 'session_revoked']);

const seeOther = (location: URL): HttpResponse => {
  const res = redirect(location);
  res.statusCode = 303;
  return res;
};

/**
 * The CLI's pages in the person's browser (the browser half of `fedgate login`), all on the
 * person's live BROWSER session (the portal's cookie); without one they offer sign-in and come
 * back (`continue`):
 * - `GET /cli/authorize` (RFC 8252 loopback, PKCE S256): the consent "Sign in the fedgate CLI on
 *   this computer as …?"; `POST /cli/authorize` (CSRF) → a one-time code (60 s, single use, bound
 *   to the challenge and the loopback URI) → 303 to the loopback URI with `code` and `state`.
 * - `GET /cli/device[?user_code=…]` (RFC 8628): the code form, then the machine's request (label,
 *   time, source address) with phishing-resistant wording; `POST /cli/device/confirm` (CSRF)
 *   records the decision the CLI's poll picks up. User codes are rate-limited and single use.
 */
export const createCliPages = (deps: CliPagesDeps) => {
  const clock = deps.clock ?? systemClock;
  const now = () => epochSeconds(clock);
  const urls = {
    authorize: publicUrl(deps.publicBaseUrl, '/cli/authorize'),
    device: publicUrl(deps.publicBaseUrl, '/cli/device'),
    confirm: publicUrl(deps.publicBaseUrl, '/cli/device/confirm'),
  };

  /** The browser's live session, or undefined when it has none that works (ended, revoked). */
  const liveOrNone = async (event: APIGatewayProxyEventV2): Promise<LiveSession | undefined> => {
    const token = readCookie(event.cookies, SESSION_COOKIE);
    if (token === undefined) return undefined;
    try {
      return await deps.sessions.resume(token, { kind: 'browser' });
    } catch (err) {
      if (err instanceof GatewayError && ENDED.has(err.code)) return undefined;
      throw err;
    }
  };

  const signedInAs = (live: LiveSession): SignedInAs => ({
    ...(live.record.identity.displayName !== undefined
      ? { displayName: live.record.identity.displayName }
      : {}),
    idpDisplayName: live.idp.displayName,
  });

  /**
   * No (suitable) browser session: straight to the IdP the CLI named, else the list of IdPs;
   * either way the sign-in comes back to `continuePath`.
   */
  const signInFirst = async (
    event: APIGatewayProxyEventV2,
    continuePath: string,
    idpId: string | undefined,
  ): Promise<HttpResponse> => {
    const idps = await deps.listIdps();
    const linkTo = (idp: Pick<IdpSummary, 'id' | 'protocol'>) => {
      const url = publicUrl(deps.publicBaseUrl, loginPath(idp));
      url.searchParams.set('continue', continuePath);
      return url;
    };
    const named = idpId === undefined ? undefined : idps.find((i) => i.id === idpId);
    if (named) return seeOther(linkTo(named));
    return cliSignInPage({
      choices: idps
        .filter((i) => i.listed)
        .sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id))
        .map((i) => ({ displayName: i.displayName, href: linkTo(i) })),
      requestId: event.requestContext.requestId,
    });
  };

  const requireCsrf = (live: LiveSession, form: Map<string, string>) => {
    if (!isCsrfTokenOf(live.token, form.get('csrf'))) {
      throw new CsrfInvalidError('csrf token is not this session’s');
    }
  };

  const loopbackRedirect = (request: CliAuthorizeRequest, params: Record<string, string>) => {
    const url = new URL(request.redirectUri);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    url.searchParams.set('state', request.state);
    return seeOther(url);
  };

  const optionalIdp = (event: APIGatewayProxyEventV2): string | undefined => {
    const idp = queryParam(event, 'idp');
    if (idp !== undefined && !IDP_ID.test(idp)) throw new InvalidRequestError('idp malformed');
    return idp;
  };

  return {
    /**
     * `GET /cli/authorize?redirect_uri&code_challenge&code_challenge_method=S256&state&client[&idp]`.
     * @throws cli_redirect_uri_invalid, invalid_request (error pages: nothing redirects),
     * temporarily_unavailable.
     */
    async authorize(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'GET');
      const request = parseCliAuthorizeRequest((name) => queryParam(event, name));
      const live = await liveOrNone(event);
      // Signed in with another IdP than the CLI asked for: sign in with that one (its session
      // replaces this browser's).
      if (!live || (request.idp !== undefined && live.record.identity.idp !== request.idp)) {
        return signInFirst(event, authorizePathOf(request), request.idp);
      }
      return cliConsentPage({
        person: signedInAs(live),
        client: request.client,
        requestedAt: now(),
        sessionEndsAt: live.endsAt,
        redirectUri: request.redirectUri,
        action: urls.authorize,
        csrf: csrfTokenOf(live.token),
        fields: request.fields,
        requestId: event.requestContext.requestId,
      });
    },

    /**
     * `POST /cli/authorize` (the consent form): `decision=allow` issues the code, `deny` sends
     * `error=access_denied`; both 303 to the loopback URI with the request's `state`.
     * @throws session_invalid, session_revoked, csrf_invalid, cli_redirect_uri_invalid,
     * invalid_request, temporarily_unavailable.
     */
    async consent(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const form = parseForm(event, FORM_MAX_BYTES);
      const live = await deps.sessions.resume(readCookie(event.cookies, SESSION_COOKIE), {
        kind: 'browser',
      });
      requireCsrf(live, form);
      const request = parseCliAuthorizeRequest((name) => form.get(name));
      if (request.idp !== undefined && request.idp !== live.record.identity.idp) {
        throw new InvalidRequestError('the consent names another IdP than the session');
      }
      const decision = form.get('decision');
      if (decision === 'deny') {
        deps.log.info('cli sign-in denied', { client: request.client });
        return loopbackRedirect(request, { error: 'access_denied' });
      }
      if (decision !== 'allow') throw new InvalidRequestError('decision must be allow or deny');
      const code = await issueCliCode(
        deps.state,
        {
          approval: approvalOf(live),
          client: request.client,
          redirectUri: request.redirectUri.href,
          codeChallenge: request.codeChallenge,
        },
        now(),
      );
      deps.log.info('cli sign-in approved', {
        idp: live.record.identity.idp,
        subject: live.record.identity.subjectRef,
        client: request.client,
        flow: 'loopback',
      });
      return loopbackRedirect(request, { code });
    },

    /**
     * `GET /cli/device[?user_code=…][&idp=…]`: the code form, or the request the code names.
     * @throws cli_user_code_invalid (wrong, expired, used), cli_too_many_attempts,
     * invalid_request, temporarily_unavailable.
     */
    async device(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'GET');
      const raw = queryParam(event, 'user_code');
      const idp = optionalIdp(event);
      const live = await liveOrNone(event);
      if (!live || (idp !== undefined && live.record.identity.idp !== idp)) {
        const back = new URLSearchParams();
        const code = normaliseUserCode(raw);
        if (code !== undefined) back.set('user_code', formatUserCode(code));
        if (idp !== undefined) back.set('idp', idp);
        const query = back.toString();
        return signInFirst(event, `/cli/device${query ? `?${query}` : ''}`, idp);
      }
      if (raw === undefined || raw === '') {
        return deviceCodeEntryPage({
          action: urls.device,
          person: signedInAs(live),
          requestId: event.requestContext.requestId,
        });
      }
      await deps.limitUserCodes(event.requestContext.http.sourceIp);
      const code = normaliseUserCode(raw);
      if (code === undefined) throw new CliUserCodeInvalidError('not a user code');
      const pointer = UserCodeItemSchema.safeParse(await deps.state.get(userCodeKey(code)));
      if (!pointer.success) throw new CliUserCodeInvalidError('user code unknown, expired or used');
      const request = DeviceRequestSchema.safeParse(
        await deps.state.get(deviceKey(pointer.data.deviceId)),
      );
      if (!request.success) throw new CliUserCodeInvalidError('the device request has expired');
      return deviceConfirmPage({
        person: signedInAs(live),
        userCode: formatUserCode(code),
        client: request.data.client,
        requestedAt: request.data.requestedAt,
        sourceIp: request.data.sourceIp,
        sessionEndsAt: live.endsAt,
        action: urls.confirm,
        csrf: csrfTokenOf(live.token),
        requestId: event.requestContext.requestId,
      });
    },

    /**
     * `POST /cli/device/confirm` (csrf, user_code, decision=approve|deny): spends the user code
     * and records the decision for the CLI's next poll.
     * @throws session_invalid, session_revoked, csrf_invalid, cli_user_code_invalid,
     * cli_too_many_attempts, invalid_request, temporarily_unavailable.
     */
    async confirm(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const form = parseForm(event, FORM_MAX_BYTES);
      const live = await deps.sessions.resume(readCookie(event.cookies, SESSION_COOKIE), {
        kind: 'browser',
      });
      requireCsrf(live, form);
      const decision = form.get('decision');
      if (decision !== 'approve' && decision !== 'deny') {
        throw new InvalidRequestError('decision must be approve or deny');
      }
      await deps.limitUserCodes(event.requestContext.http.sourceIp);
      const code = normaliseUserCode(form.get('user_code'));
      if (code === undefined) throw new CliUserCodeInvalidError('not a user code');
      // Spent first, by whoever gets it: a code works once, approved or denied.
      const pointer = UserCodeItemSchema.safeParse(await deps.state.consume(userCodeKey(code)));
      if (!pointer.success) throw new CliUserCodeInvalidError('user code unknown, expired or used');
      const { deviceId } = pointer.data;
      const request = DeviceRequestSchema.safeParse(await deps.state.get(deviceKey(deviceId)));
      const expiresAt = request.success ? request.data.requestedAt + DEVICE_TTL_SECONDS : 0;
      if (!request.success || expiresAt <= now()) {
        throw new CliUserCodeInvalidError('the device request has expired');
      }
      const approved = decision === 'approve';
      const item: DeviceDecision = approved
        ? { v: 1, approved: true, approval: approvalOf(live) }
        : { v: 1, approved: false };
      await deps.state.put(decisionKey(deviceId), item, expiresAt);
      deps.log.info(approved ? 'cli sign-in approved' : 'cli sign-in denied', {
        idp: live.record.identity.idp,
        subject: live.record.identity.subjectRef,
        client: request.data.client,
        flow: 'device',
      });
      return deviceDonePage({
        approved,
        client: request.data.client,
        requestId: event.requestContext.requestId,
      });
    },
  };
};

export type CliPages = ReturnType<typeof createCliPages>;
