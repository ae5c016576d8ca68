import { timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IDToken } from 'openid-client';
import { type Clock, epochSeconds, systemClock } from '../clock.js';
import type { OidcIdpConfig } from '../config/index.js';
import { DEFAULT_CONSOLE_DESTINATION } from '../console/index.js';
import { clearCookie, readCookie, serializeCookie } from '../http/cookies.js';
import { GatewayMisconfiguredError, InvalidRequestError, NotFoundError } from '../http/errors.js';
import { defineFlow, finish } from '../http/flow.js';
import { queryParam, requireMethod } from '../http/request.js';
import { type HttpResponse, redirect } from '../http/responses.js';
import { publicUrl } from '../http/urls.js';
import type { Log, Meter } from '../log.js';
import { createMapperCache } from '../mapping/index.js';
import { type SessionIdentity, sessionIdentityOf } from '../session/index.js';
import { parseContinue, type SignInCompletion } from '../signin/index.js';
import {
  createSpaCompletion,
  isS256Challenge,
  isSpaState,
  newLoginBinding,
  parseSpaReturnTo,
  requireSpaClient,
  type SpaLogin,
  SpaLoginSchema,
} from '../spa/index.js';
import type { AttributeStore, SpaClientRegistry, StateStore } from '../store/index.js';
import { mapOidcIdentity } from './claims.js';
import type { OidcClient } from './client.js';
import { OidcStateMismatchError, OidcTransactionInvalidError } from './errors.js';
import {
  isWellFormedState,
  newTransactionSecrets,
  OIDC_TRANSACTION_TTL_SECONDS,
  type OidcTransaction,
  OidcTransactionSchema,
  transactionCookie,
  transactionKey,
} from './transaction.js';

/** What both relying-party endpoints need. */
interface OidcRelyingPartyDeps {
  attributes: AttributeStore;
  state: StateStore;
  client: OidcClient;
  /** The SPA clients (`client_id` + `return_to` at login, the SPA's hand-back at the callback). */
  spaClients: SpaClientRegistry;
  publicBaseUrl: URL;
  log: Log;
  /** Counts the refusals that go back to an SPA as a redirect (`Refusals` / `Failures`). */
  meter?: Meter;
  /** The clock (shared/clock.ts); default the system's. */
  clock?: Clock;
}

/** The login endpoint's dependencies (the login function builds no STS or KMS client). */
export interface OidcLoginDeps extends OidcRelyingPartyDeps {
  /** `return_to` → an allowlisted console destination, or the safe default. */
  parseDestination: (raw: string | undefined) => URL;
}

/** The callback endpoint's dependencies: the one sign-in tail it ends in. */
export interface OidcCallbackDeps extends OidcRelyingPartyDeps {
  /** The one tail of every sign-in: a session, then the console (one grant) or the portal. */
  complete: SignInCompletion;
}

/** The one redirect URI of an IdP: `<base>/oidc/<idp>/callback` (mix-up defence: one per IdP). */
export const oidcRedirectUri = (publicBaseUrl: URL, idpId: string): string =>
  publicUrl(publicBaseUrl, `/oidc/${encodeURIComponent(idpId)}/callback`).href;

/** The callback's query string is an authorization response: a few hundred bytes. */
const MAX_CALLBACK_QUERY_BYTES = 8192;

// Okta: the org authorization server (https://<org>.okta.com) or a custom one (/oauth2/<id>);
// their keys and claims differ, so the issuer must be exactly one of the two shapes.
const OKTA_ISSUER_PATH = /^(|\/oauth2\/[A-Za-z0-9_-]{1,64})$/;

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The OIDC IdP named by the route's `{idp}`: the URL selects the trust anchor.
 * @throws not_found (404) for an unknown id or an IdP of another protocol.
 * @throws server_error when an Okta profile's issuer is neither an org nor a custom authorization server.
 */
export const loadOidcIdp = async (
  attributes: AttributeStore,
  event: APIGatewayProxyEventV2,
  log: Log,
): Promise<OidcIdpConfig> => {
  const id = event.pathParameters?.idp ?? '';
  const idp = await attributes.getIdp(id);
  if (idp?.protocol !== 'oidc') throw new NotFoundError(`no OIDC IdP "${id.slice(0, 64)}"`);
  log.appendKeys({ flow: 'oidc', idp: idp.id });
  if (
    idp.oidc.profile === 'okta' &&
    !OKTA_ISSUER_PATH.test(new URL(idp.oidc.issuer).pathname.replace(/\/$/, ''))
  ) {
    throw new GatewayMisconfiguredError(
      `idp ${idp.id}: an Okta issuer is https://<org>.okta.com or https://<org>.okta.com/oauth2/<id>`,
    );
  }
  return idp;
};

const spaCompletionOf = (deps: OidcRelyingPartyDeps, clock: Clock) =>
  createSpaCompletion({
    clients: deps.spaClients,
    state: deps.state,
    mapperFor: createMapperCache(deps.attributes),
    log: deps.log,
    ...(deps.meter ? { meter: deps.meter } : {}),
    clock,
  });

/**
 * `GET /oidc/{idp}/login` as named steps: starts a transaction (state, nonce, PKCE verifier
 * single-use in the state table, bound to a `__Host-` cookie) and redirects to the IdP.
 */
export const createOidcLogin = (deps: OidcLoginDeps) => {
  const clock = deps.clock ?? systemClock;
  const now = () => epochSeconds(clock);
  const spaCompletion = spaCompletionOf(deps, clock);

  /**
   * An SPA's login: `client_id` names a registered SPA client, `return_to` must be exactly one of
   * its URLs, `code_challenge` (S256 only) is the SPA's own PKCE challenge for redeeming the
   * one-time code, and `state` (22-128 unreserved characters) the SPA's own state, echoed back with
   * the code or the error. Without `client_id` it is a console sign-in (`undefined`).
   * @throws spa_client_unknown, spa_return_to_invalid, invalid_request.
   */
  const parseSpaLogin = async (event: APIGatewayProxyEventV2) => {
    const clientId = queryParam(event, 'client_id');
    if (clientId === undefined) return undefined;
    const client = await requireSpaClient(deps.spaClients, clientId);
    const returnTo = parseSpaReturnTo(client, queryParam(event, 'return_to'));
    const codeChallenge = queryParam(event, 'code_challenge');
    const method = queryParam(event, 'code_challenge_method');
    if (!codeChallenge || !isS256Challenge(codeChallenge) || method !== 'S256') {
      throw new InvalidRequestError('an SPA login needs code_challenge with S256');
    }
    const state = queryParam(event, 'state');
    if (!state || !isSpaState(state)) {
      throw new InvalidRequestError('an SPA login needs its own state (22-128 characters)');
    }
    return { client, returnTo: returnTo.href, codeChallenge, state };
  };

  /** Starts the sign-in at the IdP: the transaction, its cookie, and an SPA's login binding. */
  const startLogin = async (
    event: APIGatewayProxyEventV2,
    spa: Awaited<ReturnType<typeof parseSpaLogin>>,
    continueTo?: string,
  ): Promise<HttpResponse> => {
    const idp = await loadOidcIdp(deps.attributes, event, deps.log);
    const destination = deps.parseDestination(spa ? undefined : queryParam(event, 'return_to'));
    const { state, nonce, codeVerifier } = newTransactionSecrets();
    const url = await deps.client.authorizationUrl(idp, {
      redirectUri: oidcRedirectUri(deps.publicBaseUrl, idp.id),
      state,
      nonce,
      codeVerifier,
    });
    const binding = spa ? newLoginBinding() : undefined;
    const txn: OidcTransaction = {
      v: 1,
      idp: idp.id,
      nonce,
      codeVerifier,
      destination: destination.href,
      ...(spa && binding
        ? {
            client: spa.client.id,
            returnTo: spa.returnTo,
            spaCodeChallenge: spa.codeChallenge,
            spaState: spa.state,
            spaLoginBinding: binding.hash,
          }
        : {}),
      ...(continueTo !== undefined ? { continueTo } : {}),
      created: now(),
    };
    await deps.state.put(transactionKey(state), txn, now() + OIDC_TRANSACTION_TTL_SECONDS);
    return redirect(url, {
      cookies: [
        serializeCookie(transactionCookie(idp.id), state, {
          maxAgeSeconds: OIDC_TRANSACTION_TTL_SECONDS,
          sameSite: 'Lax',
        }),
        ...(binding ? [binding.cookie] : []),
      ],
    });
  };

  const flow = defineFlow<{ event: APIGatewayProxyEventV2 }, HttpResponse>('oidc-login', deps.log)
    .step('requireGet', ({ event }) => requireMethod(event, 'GET'))
    .step('parseSpaLogin', async ({ event }) => ({ spa: await parseSpaLogin(event) }))
    .step('parseContinue', ({ event, spa }) => {
      const continueTo = parseContinue(queryParam(event, 'continue'));
      if (spa && continueTo !== undefined) {
        throw new InvalidRequestError('an SPA login cannot continue to a CLI page');
      }
      return { continueTo };
    })
    .end('startAtIdp', async ({ event, spa, continueTo }) => {
      if (!spa) return startLogin(event, undefined, continueTo);
      try {
        return await startLogin(event, spa);
      } catch (err) {
        // client_id, return_to and state are known good: the SPA hears of it (errorPath).
        return spaCompletion.refuse(spa.client, spa.state, err);
      }
    });

  return {
    /** The login flow's step names, in order. */
    steps: flow.steps,
    /**
     * `GET /oidc/{idp}/login?return_to=…`: start a sign-in at the IdP. An SPA adds `client_id`,
     * `code_challenge` (+ `code_challenge_method=S256`) and its own `state`; once those are good,
     * a refusal goes back to the SPA's error URL instead of a fedgate page. A CLI page adds
     * `continue=/cli/…` (never together with an SPA login).
     * @throws not_found, invalid_request, temporarily_unavailable (discovery, DynamoDB).
     */
    login: (event: APIGatewayProxyEventV2): Promise<HttpResponse> => flow.run({ event }),
  };
};

/**
 * `GET /oidc/{idp}/callback` as named steps: checks the state against the cookie, consumes the
 * transaction, redeems the code (every ID token check: README.md), maps the claims and hands back
 * through the same tail as SAML (console, portal), or to the SPA that started it.
 */
export const createOidcCallback = (deps: OidcCallbackDeps) => {
  const clock = deps.clock ?? systemClock;
  const spaCompletion = spaCompletionOf(deps, clock);

  /** The SPA login a transaction carries, or `undefined` for a console sign-in. */
  const spaLoginOf = (txn: OidcTransaction): SpaLogin | undefined => {
    if (txn.client === undefined && txn.returnTo === undefined) return undefined;
    const parsed = SpaLoginSchema.safeParse({
      client: txn.client,
      returnTo: txn.returnTo,
      codeChallenge: txn.spaCodeChallenge,
      state: txn.spaState,
      loginBinding: txn.spaLoginBinding,
    });
    if (!parsed.success) throw new OidcTransactionInvalidError('malformed SPA transaction');
    return parsed.data;
  };

  interface Redeemable {
    idp: OidcIdpConfig;
    query: string;
    state: string;
    txn: OidcTransaction;
  }
  // The code redemption and every ID token check, after the state check: the same two steps for
  // a console sign-in and an SPA's.
  const redeemCode = async ({ idp, query, state, txn }: Redeemable) => {
    const callbackUrl = new URL(oidcRedirectUri(deps.publicBaseUrl, idp.id));
    callbackUrl.search = query;
    return {
      claims: await deps.client.redeem(idp, {
        callbackUrl,
        state,
        nonce: txn.nonce,
        codeVerifier: txn.codeVerifier,
      }),
    };
  };
  const mapIdentity = ({ idp, claims }: { idp: OidcIdpConfig; claims: IDToken }) => {
    const identity = sessionIdentityOf(mapOidcIdentity(idp, claims), 'oidc');
    deps.log.info('oidc sign-in verified', { subjectRef: identity.subjectRef });
    return { identity };
  };
  const verifyForSpa = defineFlow<Redeemable, SessionIdentity>('oidc-callback-spa', deps.log)
    .step('redeemCode', redeemCode)
    .end('mapOidcIdentity', (ctx) => mapIdentity(ctx).identity);

  const flow = defineFlow<{ event: APIGatewayProxyEventV2 }, HttpResponse>(
    'oidc-callback',
    deps.log,
  )
    .step('requireGet', ({ event }) => requireMethod(event, 'GET'))
    .step('loadOidcIdp', async ({ event }) => ({
      idp: await loadOidcIdp(deps.attributes, event, deps.log),
    }))
    .step('boundQuery', ({ event }) => {
      const query = event.rawQueryString ?? '';
      if (Buffer.byteLength(query) > MAX_CALLBACK_QUERY_BYTES) {
        throw new OidcStateMismatchError('callback query string over 8 KiB');
      }
      return { query };
    })
    // The callback's state must equal this browser's cookie; then the transaction is consumed once.
    .step('consumeTransaction', async ({ event, idp }) => {
      const state = queryParam(event, 'state');
      const cookie = readCookie(event.cookies, transactionCookie(idp.id));
      if (!state) throw new OidcStateMismatchError('the callback carries no state');
      if (!cookie) throw new OidcStateMismatchError('no transaction cookie in this browser');
      if (!sameSecret(cookie, state)) {
        throw new OidcStateMismatchError("the callback's state is not this browser's transaction");
      }
      if (!isWellFormedState(state)) throw new OidcStateMismatchError('malformed state');
      const parsed = OidcTransactionSchema.safeParse(
        await deps.state.consume(transactionKey(state)),
      );
      if (!parsed.success) {
        throw new OidcTransactionInvalidError(
          'no live transaction for this state (expired or used)',
        );
      }
      if (parsed.data.idp !== idp.id) {
        throw new OidcTransactionInvalidError(
          `transaction of idp ${parsed.data.idp} used at ${idp.id}`,
        );
      }
      return {
        state,
        txn: parsed.data,
        txnCookie: clearCookie(transactionCookie(idp.id), 'Lax'),
      };
    })
    // An SPA's sign-in: from here on every refusal goes back to the SPA (shared/spa), and success
    // is a one-time code holding the verified identity, never grants. As for the browser, the
    // IdP's session settings bound it (an ID token's `exp` is how long the token may be presented,
    // not a session lifetime: shared/session/README.md).
    .step('handToSpa', async (ctx) => {
      const spa = spaLoginOf(ctx.txn);
      if (!spa) return;
      return finish(
        await spaCompletion.complete(
          spa,
          async () => ({ identity: await verifyForSpa.run(ctx), idp: ctx.idp }),
          { cookies: [ctx.txnCookie] },
        ),
      );
    })
    .step('redeemCode', redeemCode)
    .step('mapOidcIdentity', mapIdentity)
    .end('completeSignIn', ({ identity, idp, txn, txnCookie }) =>
      deps.complete.browser({
        identity,
        idp,
        // The console deep link the sign-in asked for, if any (the default asks for nothing).
        destination:
          txn.destination === DEFAULT_CONSOLE_DESTINATION ? undefined : new URL(txn.destination),
        cookies: [txnCookie],
        ...(txn.continueTo !== undefined ? { continueTo: txn.continueTo } : {}),
      }),
    );

  return {
    /** The callback flow's step names, in order. */
    steps: flow.steps,
    /**
     * `GET /oidc/{idp}/callback?code=…&state=…[&iss=…]`: state → transaction → code redemption and
     * ID token checks → profile checks → claims → rules → hand-back.
     * @throws oidc_state_mismatch, oidc_transaction_invalid, the ID token codes of errors.ts,
     * oidc_tenant_not_allowed / oidc_group_overage / oidc_hosted_domain_not_allowed,
     * no_role_matched, temporarily_unavailable.
     */
    callback: (event: APIGatewayProxyEventV2): Promise<HttpResponse> => flow.run({ event }),
  };
};
