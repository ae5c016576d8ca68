import type { APIGatewayProxyEventV2 } from 'aws-lambda';
// The file, not shared/cli's index: shared/cli uses this domain's CSRF error (no import cycle).
import { cliSetupFor } from '../cli/portal-setup.js';
import type { SupportContact } from '../config/index.js';
import type { AwsAccess } from '../handback/index.js';
import { clearCookie, readCookie } from '../http/cookies.js';
import { GatewayError, InvalidRequestError } from '../http/errors.js';
import { parseForm, queryParam, requireMethod } from '../http/request.js';
import { type HttpResponse, redirect } from '../http/responses.js';
import { publicUrl } from '../http/urls.js';
import type { Log } from '../log.js';
import type { Grant } from '../mapping/index.js';
import {
  csrfTokenOf,
  GrantNotAvailableError,
  isCsrfTokenOf,
  type LiveSession,
  personOf,
  SESSION_COOKIE,
  type SessionService,
} from '../session/index.js';
import { accessKeysPage, type PortalGrant, portalPage } from './pages.js';

/** The form is not fedgate's own, or its page is older than the session (CSRF). */
export class CsrfInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(403, 'csrf_invalid', 'This page has expired. Go back, reload it and try again.', {
      ...opts,
      detail,
    });
  }
}

/** What the portal shows beside the grants: regions and the support contact. */
export interface PortalSettings {
  regions: readonly string[];
  defaultRegion: string;
  support?: SupportContact;
}

export interface PortalViewDeps {
  sessions: SessionService;
  settings: () => Promise<PortalSettings>;
  idpDisplayName: (idpId: string) => Promise<string>;
  /** An untrusted deep link → an allowlisted console URL, or `undefined` when none was asked for. */
  parseDestination: (raw: string | undefined) => URL;
  publicBaseUrl: URL;
  log: Log;
}

export interface PortalActionsDeps extends Omit<PortalViewDeps, 'idpDisplayName'> {
  /** AWS access for a grant: credentials (STS) and the console (federation endpoint). */
  access: AwsAccess;
}

const FORM_MAX_BYTES = 4096;
/** Codes of a session that has ended (as opposed to a store that cannot answer). */
const ENDED_CODES = new Set(['session_invalid', 'session_revoked']);
const GRANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** What a page may show of a grant: no tags' values, no template internals. */
export const portalGrantOf = (g: Grant): PortalGrant => ({
  id: g.id,
  label: g.label,
  roleArn: g.roleArn,
  accountId: g.accountId,
  ...(g.accountAlias !== undefined ? { accountAlias: g.accountAlias } : {}),
  durationSeconds: g.durationSeconds,
  tagKeys: g.tags.map((t) => t.key),
});

/** The console URL for a region: its regional console home, unless a deep link was asked for. */
const consoleHome = (region: string) =>
  new URL(`https://${region}.console.aws.amazon.com/console/home?region=${region}`);

const urlsOf = (publicBaseUrl: URL) => ({
  open: publicUrl(publicBaseUrl, '/portal/open'),
  keys: publicUrl(publicBaseUrl, '/portal/keys'),
  signOut: publicUrl(publicBaseUrl, '/signout'),
  portal: publicUrl(publicBaseUrl, '/'),
});

const resumeBrowser = (sessions: SessionService, event: APIGatewayProxyEventV2) =>
  sessions.resume(readCookie(event.cookies, SESSION_COOKIE), { kind: 'browser' });

const seeOther = (location: URL, cookies?: string[]): HttpResponse => {
  const res = redirect(location, cookies ? { cookies } : {});
  res.statusCode = 303;
  return res;
};

/**
 * The access portal page of a signed-in person (`GET /` with `__Host-fedgate-session`): what the
 * CURRENT rules grant, grouped by account, recently used first. Reads only (the home function has
 * no write access): the caller serves the sign-in page when it throws session_invalid /
 * session_revoked.
 * @throws session_invalid, session_revoked, temporarily_unavailable.
 */
export const createPortalView = (deps: PortalViewDeps) => {
  const urls = urlsOf(deps.publicBaseUrl);
  return async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => {
    requireMethod(event, 'GET', 'HEAD');
    const live = await resumeBrowser(deps.sessions, event);
    const settings = await deps.settings();
    const raw = queryParam(event, 'destination');
    const destination = raw === undefined ? undefined : deps.parseDestination(raw);
    return portalPage({
      person: {
        ...(live.record.identity.displayName !== undefined
          ? { displayName: live.record.identity.displayName }
          : {}),
        idpDisplayName: await deps.idpDisplayName(live.record.identity.idp),
      },
      // Viewing the portal is not recorded as a use (this function writes nothing), so the
      // session idles out counting from its last recorded use, not from this page.
      session: {
        expiresAt: live.endsAt,
        idleExpiresAt: Math.min(
          live.endsAt,
          Math.floor(live.lastUsedAt / 1000) + live.idp.session.idleSeconds,
        ),
      },
      grants: live.grants.map(portalGrantOf),
      recent: live.recent,
      csrf: csrfTokenOf(live.token),
      regions: settings.regions,
      defaultRegion: settings.defaultRegion,
      actions: { open: urls.open, signOut: urls.signOut },
      requestId: event.requestContext.requestId,
      ...(destination ? { destination: destination.href } : {}),
      ...(settings.support ? { support: settings.support } : {}),
    });
  };
};

/**
 * The portal's actions for a signed-in person: `POST /portal/open` opens the console (303 to the
 * federation endpoint's sign-in URL) or the access keys (303 to `GET /portal/keys`, which issues
 * fresh keys at every load: reload and Back work, nothing single-use is visible), `POST /signout`
 * ends the session. Every use re-reads the session and its revocation marks and re-runs the
 * rules; forms carry a CSRF token derived from the session secret.
 */
export const createPortalActions = (deps: PortalActionsDeps) => {
  const urls = urlsOf(deps.publicBaseUrl);
  const resume = (event: APIGatewayProxyEventV2) => resumeBrowser(deps.sessions, event);
  // After STS has answered, recording the use (the idle timer, "recently used") is best effort:
  // the credentials exist, and losing them to a failed bookkeeping write would only make the
  // person ask STS again. The failure is logged; the next use records it.
  const recordUse = (live: LiveSession, grantId: string) =>
    deps.sessions.touch(live, grantId).catch((err: unknown) => {
      deps.log.warn('session use not recorded', {
        code: err instanceof GatewayError ? err.code : 'server_error',
      });
    });
  const requireGrant = (live: LiveSession, grantId: string | undefined): Grant => {
    if (!grantId || !GRANT_ID.test(grantId)) throw new InvalidRequestError('no grant chosen');
    const grant = live.grants.find((g) => g.id === grantId);
    if (!grant) throw new GrantNotAvailableError('the current rules do not grant it');
    return grant;
  };

  const requireRegion = async (raw: string | undefined): Promise<string> => {
    const { regions, defaultRegion } = await deps.settings();
    if (raw === undefined || raw === '') return defaultRegion;
    if (!regions.includes(raw)) throw new InvalidRequestError('region not offered');
    return raw;
  };

  return {
    /**
     * `POST /portal/open` (csrf, grant, target=console|keys, region, destination?).
     * @throws session_invalid, session_revoked, csrf_invalid, grant_not_available,
     * invalid_request, the role assumption's codes.
     */
    async open(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const form = parseForm(event, FORM_MAX_BYTES);
      const live = await resume(event);
      if (!isCsrfTokenOf(live.token, form.get('csrf'))) {
        throw new CsrfInvalidError('csrf token is not this session’s');
      }
      const grant = requireGrant(live, form.get('grant'));
      const region = await requireRegion(form.get('region'));
      const target = form.get('target');
      if (target === 'keys') {
        await deps.sessions.touch(live, grant.id);
        const url = new URL(urls.keys);
        url.searchParams.set('grant', grant.id);
        url.searchParams.set('region', region);
        return seeOther(url);
      }
      if (target !== 'console') throw new InvalidRequestError('target must be console or keys');
      const rawDestination = form.get('destination');
      const destination = rawDestination
        ? deps.parseDestination(rawDestination)
        : consoleHome(region);
      const url = await deps.access.console(grant, personOf(live.record.identity), {
        destination,
        sessionEndsAt: live.endsAt,
      });
      await recordUse(live, grant.id);
      return seeOther(url);
    },

    /**
     * `GET /portal/keys?grant=…&region=…`: fresh temporary credentials at every load.
     * @throws session_invalid, session_revoked, grant_not_available, invalid_request.
     */
    async keys(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'GET');
      const live = await resume(event);
      const grant = requireGrant(live, queryParam(event, 'grant'));
      const region = await requireRegion(queryParam(event, 'region'));
      const credentials = await deps.access.credentials(grant, personOf(live.record.identity), {
        sessionEndsAt: live.endsAt,
        target: 'keys',
      });
      await recordUse(live, grant.id);
      const { support } = await deps.settings();
      return accessKeysPage({
        credentials,
        grant: portalGrantOf(grant),
        region,
        portal: urls.portal,
        requestId: event.requestContext.requestId,
        cliSetup: cliSetupFor({
          grant,
          grants: live.grants,
          region,
          publicBaseUrl: deps.publicBaseUrl,
        }),
        ...(support ? { support } : {}),
      });
    },

    /**
     * `POST /signout`: ends the session (its item and its cookie) and shows the sign-in page.
     * A sign-out without a live session still clears the cookie; one with a live session needs
     * the session's CSRF token (a foreign page cannot sign a person out).
     * @throws csrf_invalid.
     */
    async signOut(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const form = parseForm(event, FORM_MAX_BYTES);
      const tokenValue = readCookie(event.cookies, SESSION_COOKIE);
      // No cookie (a cross-site post never carries the Lax cookie): nothing to end, and no
      // Set-Cookie either — deleting the cookie would sign the person out from a foreign page.
      if (tokenValue === undefined) return seeOther(urls.portal);
      // Only an ended session is "nothing to end"; a store that cannot answer is a 503, never a
      // sign-out reported as done while the session lives on.
      const live = await deps.sessions.resume(tokenValue, { kind: 'browser' }).catch((err) => {
        if (err instanceof GatewayError && ENDED_CODES.has(err.code)) return undefined;
        throw err;
      });
      if (live) {
        if (!isCsrfTokenOf(live.token, form.get('csrf'))) {
          throw new CsrfInvalidError('sign-out form is not this session’s');
        }
        await deps.sessions.end(tokenValue);
      }
      return seeOther(urls.portal, [clearCookie(SESSION_COOKIE, 'Lax')]);
    },
  };
};

export type PortalActions = ReturnType<typeof createPortalActions>;
