import type { IdpConfig } from '../config/index.js';
import { type AwsAccess, NoRoleMatchedError } from '../handback/index.js';
import { serializeCookie } from '../http/cookies.js';
import { type HttpResponse, redirect } from '../http/responses.js';
import { publicUrl } from '../http/urls.js';
import type { Log } from '../log.js';
import type { Grant, Mapper } from '../mapping/index.js';
import {
  identityOf,
  personOf,
  SESSION_COOKIE,
  type SessionIdentity,
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
  /** Epoch seconds. */
  now?: () => number;
}

/** The grants the current rules give an identity, or why there are none (logged, never shown). */
export const grantsFor = async (
  deps: Pick<SignInCompletionDeps, 'mapperFor' | 'log'>,
  idp: IdpConfig,
  identity: SessionIdentity,
): Promise<readonly Grant[]> => {
  const result = (await deps.mapperFor(idp)).mapGrants(identityOf(identity));
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
 * "Complete the sign-in", the one tail of every protocol's browser flow (SAML ACS, the IdP-initiated
 * confirmation, the OIDC callback): the current rules must grant something (else no session), a
 * browser session starts (its cookie), and then exactly one grant goes straight to the console —
 * one click stays one click — while several go to the access portal at `/`, where the person can
 * open any of them as often as the session lasts.
 * @throws no_role_matched (403), session_invalid (upstream session already over), the role
 * assumption's codes, temporarily_unavailable.
 */
export const createSignInCompletion = (deps: SignInCompletionDeps) => {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const portalUrl = publicUrl(deps.publicBaseUrl, '/');

  return {
    async browser(opts: {
      identity: SessionIdentity;
      idp: IdpConfig;
      /** An allowlisted console deep link the sign-in asked for (RelayState / return_to). */
      destination: URL | undefined;
      /** Epoch seconds the upstream bounds the session by (SAML SessionNotOnOrAfter). */
      upstreamEndsAt?: number;
      /** Extra `Set-Cookie` values (clearing the flow's own cookies). */
      cookies?: readonly string[];
    }): Promise<HttpResponse> {
      const grants = await grantsFor(deps, opts.idp, opts.identity);
      const { tokenValue, record } = await deps.sessions.start({
        identity: opts.identity,
        idp: opts.idp,
        kind: 'browser',
        ...(opts.upstreamEndsAt !== undefined ? { upstreamEndsAt: opts.upstreamEndsAt } : {}),
      });
      const cookies = [...(opts.cookies ?? []), sessionCookie(tokenValue, record.endsAt - now())];
      if (grants.length === 1) {
        const grant = grants[0] as Grant;
        const url = await deps.access.console(grant, personOf(opts.identity), {
          destination: opts.destination ?? deps.defaultDestination,
          sessionEndsAt: record.endsAt,
        });
        // Best effort: the portal lists it first next time; a failure here must not cost the
        // person the console they already have.
        await deps.sessions.recordFirstUse(tokenValue, grant.id).catch(() => undefined);
        return redirect(url, { cookies });
      }
      const portal = new URL(portalUrl);
      if (opts.destination) portal.searchParams.set('destination', opts.destination.href);
      const res = redirect(portal, { cookies });
      res.statusCode = 303;
      return res;
    },
  };
};

export type SignInCompletion = ReturnType<typeof createSignInCompletion>;
