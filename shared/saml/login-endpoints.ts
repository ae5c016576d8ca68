import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type Clock, epochSeconds, systemClock } from '../clock.js';
import { serializeCookie } from '../http/cookies.js';
import { defineFlow } from '../http/flow.js';
import { queryParam, requireMethod } from '../http/request.js';
import { type HttpResponse, redirect } from '../http/responses.js';
import type { Log } from '../log.js';
import { parseContinue } from '../signin/index.js';
import type { AttributeStore, StateStore } from '../store/index.js';
import { loadSamlIdp } from './load-idp.js';
import { buildAuthnRequest, buildSpMetadata } from './sp.js';
import {
  AUTHN_REQUEST_TTL_SECONDS,
  pendingRequestCookie,
  pendingRequestKey,
  spUrls,
} from './sp-urls.js';

export interface SamlLoginDeps {
  attributes: AttributeStore;
  state: StateStore;
  /** `return_to` → an allowlisted destination, or the safe default. */
  parseDestination: (raw: string | undefined) => URL;
  publicBaseUrl: URL;
  log: Log;
  /** The clock (shared/clock.ts); default the system's. */
  clock?: Clock;
}

/** The samlify-backed SAML endpoints: SP metadata and SP-initiated login. */
export const createSamlLoginEndpoints = (deps: SamlLoginDeps) => {
  const clock = deps.clock ?? systemClock;
  const now = () => epochSeconds(clock);

  const loginFlow = defineFlow<{ event: APIGatewayProxyEventV2 }, HttpResponse>(
    'saml-login',
    deps.log,
  )
    .step('requireGet', ({ event }) => requireMethod(event, 'GET'))
    .step('loadSamlIdp', async ({ event }) => ({
      idp: await loadSamlIdp(deps.attributes, event, deps.log),
    }))
    .step('parseDestination', ({ event }) => ({
      destination: deps.parseDestination(queryParam(event, 'return_to')),
    }))
    .step('parseContinue', ({ event }) => ({
      continueTo: parseContinue(queryParam(event, 'continue')),
    }))
    .step('buildAuthnRequest', ({ idp }) =>
      buildAuthnRequest(idp, spUrls(deps.publicBaseUrl, idp.id)),
    )
    .step('storePendingRequest', async ({ idp, id, destination, continueTo }) => {
      await deps.state.put(
        pendingRequestKey(id),
        {
          idp: idp.id,
          destination: destination.href,
          ...(continueTo !== undefined ? { continueTo } : {}),
        },
        now() + AUTHN_REQUEST_TTL_SECONDS,
      );
    })
    .end('redirectToIdp', ({ idp, id, url }) =>
      redirect(url, {
        cookies: [
          serializeCookie(pendingRequestCookie(idp.id), id, {
            maxAgeSeconds: AUTHN_REQUEST_TTL_SECONDS,
            sameSite: 'None',
          }),
        ],
      }),
    );

  return {
    /** The SP-initiated login flow's step names, in order. */
    loginSteps: loginFlow.steps,
    /** `GET /saml/{idp}/metadata`: the SP metadata to register at the IdP. */
    async metadata(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'GET', 'HEAD');
      const idp = await loadSamlIdp(deps.attributes, event, deps.log);
      return {
        statusCode: 200,
        headers: {
          'content-type': 'application/samlmetadata+xml; charset=utf-8',
          'cache-control': 'public, max-age=300',
        },
        body: buildSpMetadata(spUrls(deps.publicBaseUrl, idp.id)),
      };
    },

    /**
     * `GET /saml/{idp}/login?return_to=…`: SP-initiated sign-in. The request id is single-use in
     * the state table (under its SHA-256) and bound to this browser by a `__Host-` cookie
     * (SameSite=None: it must come back on the IdP's cross-site POST to the ACS).
     * `continue=/cli/…` (shared/signin's parseContinue) waits in the pending item: the sign-in
     * comes back to that CLI page.
     */
    login: (event: APIGatewayProxyEventV2): Promise<HttpResponse> => loginFlow.run({ event }),
  };
};
