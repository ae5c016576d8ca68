import { type Clock, epochSeconds, systemClock } from '../clock.js';
import type { IdpConfig } from '../config/index.js';
import { type AwsAccess, NoRoleMatchedError } from '../handback/index.js';
import { serializeCookie } from '../http/cookies.js';
import { InvalidRequestError } from '../http/errors.js';
import { defineFlow, finish } from '../http/flow.js';
import { type HttpResponse, redirect } from '../http/responses.js';
import { publicUrl } from '../http/urls.js';
import type { Log } from '../log.js';
import { type Grant, identityForRules, type Mapper } from '../mapping/index.js';
import {
  identityOf,
  personOf,
  SESSION_COOKIE,
  type SessionIdentity,
  SessionInvalidError,
  type SessionService,
} from '../session/index.js';

/**
 * The session cookie. SameSite=Lax: it must accompany the top-level GET that follows a sign-in
 * (the 303 after the IdP's cross-site POST or redirect), never a cross-site subrequest or POST.
 */
export const sessionCookie = (tokenValue: string, maxAgeSeconds: number): string =>
  serializeCookie(SESSION_COOKIE, tokenValue, { maxAgeSeconds, sameSite: 'Lax' });

export interface SignInCompletionDeps {
  sessions: SessionService;
  mapperFor: (idp: IdpConfig) => Promise<Mapper>;
  access: AwsAccess;
  /** Where the console goes when nobody asked for a deep link. */
  defaultDestination: URL;
  publicBaseUrl: URL;
  log: Log;
  /** The clock (shared/clock.ts); default the system's. */
  clock?: Clock;
}

const MAX_CONTINUE_LENGTH = 2048;
// A fedgate page a sign-in may come back to: the CLI's pages only (shared/cli).
const CONTINUE_PATH = /^\/cli\/[a-z][a-z0-9-]{0,31}$/;
const CONTINUE_BASE = 'https://fedgate.invalid';

/**
 * A sign-in's `continue`: where it comes back to after the browser session starts, instead of the
 * console or the portal (the CLI's consent and device pages send people to sign in this way).
 * Only a path of fedgate's own, under `/cli/`, relative to the public base URL (never a URL with
 * a scheme or host, `//host`, a backslash, dot segments, a fragment, or anything the WHATWG parser
 * would rewrite: the raw value must equal its parsed path and query). Absent stays absent.
 * @returns the path and query, e.g. `/cli/authorize?redirect_uri=…`, or undefined.
 * @throws invalid_request (400) for any other value: nothing is stored, nothing redirects.
 * @example parseContinue('/cli/device?user_code=BCDF-GHJK') // '/cli/device?user_code=BCDF-GHJK'
 */
export const parseContinue = (raw: string | undefined): string | undefined => {
  if (raw === undefined) return undefined;
  const refuse = (why: string): never => {
    throw new InvalidRequestError(`continue ${why}`);
  };
  if (raw.length > MAX_CONTINUE_LENGTH) return refuse('too long');
  // Printable ASCII, no space or backslash, and a single leading slash (not `//host`).
  if (!/^\/[\x21-\x5b\x5d-\x7e]*$/.test(raw) || raw.startsWith('//')) return refuse('malformed');
  if (!URL.canParse(raw, CONTINUE_BASE)) return refuse('does not parse');
  const url = new URL(raw, CONTINUE_BASE);
  if (url.origin !== CONTINUE_BASE || url.hash !== '' || raw.includes('#')) {
    return refuse('leaves fedgate or carries a fragment');
  }
  if (`${url.pathname}${url.search}` !== raw) return refuse('is not in its normal form');
  if (!CONTINUE_PATH.test(url.pathname)) return refuse('is not a CLI page');
  return raw;
};

/** The absolute URL of a `continue` path under the public base URL. */
export const continueUrl = (publicBaseUrl: URL, path: string): URL => {
  const parsed = new URL(path, CONTINUE_BASE);
  const url = publicUrl(publicBaseUrl, parsed.pathname);
  url.search = parsed.search;
  return url;
};

/** The grants the current rules give an identity, or why there are none (logged, never shown). */
export const grantsFor = async (
  deps: Pick<SignInCompletionDeps, 'mapperFor' | 'log'>,
  idp: IdpConfig,
  identity: SessionIdentity,
): Promise<readonly Grant[]> => {
  const mapper = await deps.mapperFor(idp);
  const result = mapper.mapGrants(await identityForRules(mapper, idp, identityOf(identity)));
  for (const p of result.problems) {
    deps.log.warn('grant not issued', { ruleId: p.ruleId, roleArn: p.roleArn, reason: p.reason });
  }
  if (result.denied || result.grants.length === 0) {
    throw new NoRoleMatchedError(
      result.denied
        ? `denied by ${result.deniedBy.join(', ')}`
        : `no rule granted subject ${identity.subjectRef}`,
    );
  }
  return result.grants;
};

/**
 * The IdP a verified identity signed in through, as configured NOW: a sign-in finished later (a
 * confirmation, an SPA code, a CLI approval) must not outlive its IdP's removal or a change of
 * its protocol.
 * @throws session_invalid (400) when it is gone, or what `refuse` makes.
 */
export const loadSignedInIdp = async (
  loadIdp: (id: string) => Promise<IdpConfig | undefined>,
  identity: SessionIdentity,
  refuse: (detail: string) => Error = (detail) => new SessionInvalidError(detail),
): Promise<IdpConfig> => {
  const idp = await loadIdp(identity.idp);
  if (!idp || idp.protocol !== identity.protocol) {
    throw refuse(`idp ${identity.idp} is no longer configured`);
  }
  return idp;
};

/**
 * Records a session's first use of a grant (the portal lists it first next time). Best effort: a
 * failure here must not cost the person the console or the credentials they already have.
 */
export const recordFirstUse = (
  sessions: Pick<SessionService, 'recordFirstUse'>,
  tokenValue: string,
  grantId: string,
): Promise<void> => sessions.recordFirstUse(tokenValue, grantId).catch(() => undefined);

/** What a browser sign-in completes with: the verified identity and where it asked to go. */
export interface BrowserSignIn {
  identity: SessionIdentity;
  idp: IdpConfig;
  /** An allowlisted console deep link the sign-in asked for (RelayState / return_to). */
  destination: URL | undefined;
  /** Epoch seconds the upstream bounds the session by (SAML SessionNotOnOrAfter). */
  upstreamEndsAt?: number;
  /**
   * Epoch ms the sign-in was verified, when it completes later (a confirmation): a revocation
   * since refuses it (session_revoked).
   */
  signedInAt?: number;
  /** Extra `Set-Cookie` values (clearing the flow's own cookies). */
  cookies?: readonly string[];
  /**
   * A fedgate page to come back to once the session exists (a {@link parseContinue} path,
   * checked again here): a 303 there instead of the console or the portal.
   */
  continueTo?: string;
}

/**
 * "Complete the sign-in", the one tail of every protocol's browser flow (SAML ACS, the IdP-initiated
 * confirmation, the OIDC callback): the current rules must grant something (else no session), a
 * browser session starts (its cookie), and then exactly one grant goes straight to the console —
 * one click stays one click — while several go to the access portal at `/`, where the person can
 * open any of them as often as the session lasts. A sign-in started for a CLI page (`continueTo`)
 * goes back to that page instead.
 * @throws no_role_matched (403), session_invalid (upstream session already over),
 * session_revoked (revoked since `signedInAt`), the role assumption's codes,
 * temporarily_unavailable.
 */
export const createSignInCompletion = (deps: SignInCompletionDeps) => {
  const clock = deps.clock ?? systemClock;
  const now = () => epochSeconds(clock);
  const portalUrl = publicUrl(deps.publicBaseUrl, '/');

  const browser = defineFlow<BrowserSignIn, HttpResponse>('complete-sign-in', deps.log)
    .step('parseContinue', (s) => ({ continuePath: parseContinue(s.continueTo) }))
    .step('requireGrants', async (s) => ({ grants: await grantsFor(deps, s.idp, s.identity) }))
    .step('startSession', async (s) => {
      const { tokenValue, record } = await deps.sessions.start({
        identity: s.identity,
        idp: s.idp,
        kind: 'browser',
        ...(s.upstreamEndsAt !== undefined ? { upstreamEndsAt: s.upstreamEndsAt } : {}),
        ...(s.signedInAt !== undefined ? { signedInAt: s.signedInAt } : {}),
      });
      const cookies = [...(s.cookies ?? []), sessionCookie(tokenValue, record.endsAt - now())];
      return { tokenValue, endsAt: record.endsAt, sessionCookies: cookies };
    })
    .step('continueToPage', ({ continuePath, sessionCookies }) => {
      if (continuePath === undefined) return;
      const res = redirect(continueUrl(deps.publicBaseUrl, continuePath), {
        cookies: sessionCookies,
      });
      res.statusCode = 303;
      return finish(res);
    })
    .end('handBack', async (s) => {
      const cookies = s.sessionCookies;
      if (s.grants.length === 1) {
        const grant = s.grants[0] as Grant;
        const url = await deps.access.console(grant, personOf(s.identity), {
          destination: s.destination ?? deps.defaultDestination,
          sessionEndsAt: s.endsAt,
        });
        await recordFirstUse(deps.sessions, s.tokenValue, grant.id);
        return redirect(url, { cookies });
      }
      const portal = new URL(portalUrl);
      if (s.destination) portal.searchParams.set('destination', s.destination.href);
      const res = redirect(portal, { cookies });
      res.statusCode = 303;
      return res;
    });

  return {
    /** The tail's step names, in order. */
    steps: browser.steps,
    /** Completes a verified browser sign-in: a session, then the console, the portal or a CLI page. */
    browser: (signIn: BrowserSignIn): Promise<HttpResponse> => browser.run(signIn),
  };
};

export type SignInCompletion = ReturnType<typeof createSignInCompletion>;
