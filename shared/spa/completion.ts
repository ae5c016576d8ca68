import { type Clock, epochSeconds, systemClock } from '../clock.js';
import type { IdpConfig, SpaClient } from '../config/index.js';
import { NoRoleMatchedError } from '../handback/index.js';
import { logRequestError, sentErrorOf } from '../http/error-middleware.js';
import { DependencyUnavailableError, GatewayError } from '../http/errors.js';
import { type HttpResponse, redirect } from '../http/responses.js';
import type { Log, Meter } from '../log.js';
import type { Mapper } from '../mapping/index.js';
import type { SessionIdentity } from '../session/index.js';
import { grantsFor } from '../signin/index.js';
import type { SpaClientRegistry, StateStore } from '../store/index.js';
import { parseSpaReturnTo, requireSpaClient, spaErrorUrl, spaGrantsOf } from './clients.js';
import { issueSpaCode, type SpaLogin } from './handoff.js';

export interface SpaCompletionDeps {
  clients: SpaClientRegistry;
  state: StateStore;
  /** The IdP's compiled rules (with the gateway-wide rules). */
  mapperFor: (idp: IdpConfig) => Promise<Mapper>;
  log: Log;
  /** Counts refusals returned to the SPA (`Refusals` / `Failures` by code), as for other routes. */
  meter?: Meter;
  /** The clock (shared/clock.ts); default the system's. */
  clock?: Clock;
}

/** A verified upstream sign-in an SPA started, as the protocol's callback hands it over. */
export interface VerifiedSpaSignIn {
  identity: SessionIdentity;
  idp: IdpConfig;
  /** Epoch seconds: the end the upstream set for the session, if any (shared/session). */
  upstreamEndsAt?: number;
}

/**
 * The end of an OIDC sign-in that an SPA started (the callback's SPA branch): every refusal after
 * the transaction is known to be the SPA's goes back to the SPA — `errorPath?error=<code>&state=…`
 * — instead of stranding the person on a fedgate page; success goes back to `return_to` with a
 * one-time code holding the verified identity (never grants) and the SPA's `state`.
 */
export const createSpaCompletion = (deps: SpaCompletionDeps) => {
  const clock = deps.clock ?? systemClock;
  const now = () => epochSeconds(clock);

  /**
   * A refusal of an SPA's login or sign-in as a 302 to the client's error URL, with the code the
   * error middleware would have sent (an exposed error's own, `temporarily_unavailable` to retry,
   * else `server_error`: never a detail), logged as it logs and counted as requestOutcome counts.
   */
  const refusal = (
    to: URL,
    spaState: string,
    err: unknown,
    cookies: readonly string[] = [],
  ): HttpResponse => {
    const sent = sentErrorOf(err);
    logRequestError(deps.log, err, { returnedTo: 'spa' });
    deps.meter?.count(sent.status >= 500 ? 'Failures' : 'Refusals', {
      code: err instanceof GatewayError ? err.code : 'server_error',
    });
    const url = new URL(to);
    url.searchParams.set('error', sent.code);
    url.searchParams.set('state', spaState);
    return redirect(url, cookies.length > 0 ? { cookies: [...cookies] } : {});
  };

  return {
    /**
     * A refusal of an SPA's login that already passed `client_id`, `return_to` and `state`: back
     * to the client's error URL.
     * @throws spa_return_to_invalid when the client's errorPath leaves its origin (error page).
     */
    refuse: (client: SpaClient, spaState: string, err: unknown, cookies?: readonly string[]) =>
      refusal(spaErrorUrl(client), spaState, err, cookies),

    /**
     * Completes an SPA's sign-in: `verify` (the protocol's checks after its state check) → the
     * current rules and the client's `allowedRoles` must leave a grant → a one-time code → 302 to
     * `return_to?code=…&state=…`. Anything `verify` or a later step throws goes to the SPA.
     * @throws spa_client_unknown when the client is no longer registered (nowhere to return to).
     */
    async complete(
      login: SpaLogin,
      verify: () => Promise<VerifiedSpaSignIn>,
      opts: { cookies?: readonly string[] } = {},
    ): Promise<HttpResponse> {
      let client: SpaClient;
      try {
        client = await requireSpaClient(deps.clients, login.client);
      } catch (err) {
        // The registry cannot answer: the return_to this login was allowlisted with (minutes ago,
        // in fedgate's own transaction) still takes the person back, with a code to retry.
        if (err instanceof DependencyUnavailableError) {
          return refusal(new URL(login.returnTo), login.state, err, opts.cookies);
        }
        throw err;
      }
      try {
        // Exactly as registered now: a path removed since the login is no longer a destination.
        const back = parseSpaReturnTo(client, login.returnTo);
        const signIn = await verify();
        const grants = spaGrantsOf(client, await grantsFor(deps, signIn.idp, signIn.identity));
        if (grants.length === 0) {
          throw new NoRoleMatchedError(`client ${client.id}'s allowedRoles exclude every grant`);
        }
        const code = await issueSpaCode(
          deps.state,
          {
            client: client.id,
            identity: signIn.identity,
            codeChallenge: login.codeChallenge,
            state: login.state,
            loginBinding: login.loginBinding,
            ...(signIn.upstreamEndsAt !== undefined
              ? { upstreamEndsAt: signIn.upstreamEndsAt }
              : {}),
            verifiedAt: clock(),
          },
          now(),
        );
        deps.log.info('spa sign-in verified', {
          client: client.id,
          idp: signIn.identity.idp,
          subject: signIn.identity.subjectRef,
          grants: grants.length,
        });
        back.searchParams.set('code', code);
        back.searchParams.set('state', login.state);
        return redirect(back, opts.cookies ? { cookies: [...opts.cookies] } : {});
      } catch (err) {
        return refusal(spaErrorUrl(client), login.state, err, opts.cookies);
      }
    },
  };
};

export type SpaCompletion = ReturnType<typeof createSpaCompletion>;
