import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type Clock, epochSeconds, systemClock } from '../clock.js';
import type { SamlIdpConfig } from '../config/index.js';
import { clearCookie, readCookie } from '../http/cookies.js';
import { GatewayError, InvalidRequestError } from '../http/errors.js';
import { defineFlow } from '../http/flow.js';
import { parseForm, requireMethod } from '../http/request.js';
import type { HttpResponse } from '../http/responses.js';
import type { Log } from '../log.js';
import type { Identity } from '../mapping/index.js';
import { sessionIdentityOf } from '../session/index.js';
import type { SignInCompletion, SignInConfirmation } from '../signin/index.js';
import type { AttributeStore, ReplayCache, StateStore } from '../store/index.js';
import { consumeAssertion } from './consume-assertion.js';
import { SamlInResponseToInvalidError } from './errors.js';
import { loadSamlIdp } from './load-idp.js';
import { pendingRequestCookie, pendingRequestKey, spUrls } from './sp-urls.js';
import type { VerifiedAssertion } from './types.js';

/** Verifies one SAMLResponse for one IdP (shared/saml's single-parse verifier). */
export type SamlResponseVerifier = (
  idp: SamlIdpConfig,
  input: {
    samlResponseB64: string;
    acsUrl: string;
    spEntityId: string;
    expectedInResponseTo: string | undefined;
    now: number;
  },
) => VerifiedAssertion | Promise<VerifiedAssertion>;

export interface AcsDeps {
  attributes: AttributeStore;
  state: StateStore;
  replay: ReplayCache;
  verify: SamlResponseVerifier;
  /** Claims normalisation (aliases, subject, Entra tenant and overage rules). */
  toIdentity: (idp: SamlIdpConfig, assertion: VerifiedAssertion) => Identity;
  /** RelayState / return_to → an allowlisted destination, or the safe default. */
  parseDestination: (raw: string | undefined) => URL;
  /** The one tail of every sign-in: a session, then the console (one grant) or the portal. */
  complete: SignInCompletion;
  /** IdP-initiated sign-ins the person confirms first (`idpInitiated: confirm`). */
  confirmation: SignInConfirmation;
  publicBaseUrl: URL;
  log: Log;
  /** The clock (shared/clock.ts); default the system's. */
  clock?: Clock;
}

/** An IdP-initiated response reached an IdP configured for SP-initiated sign-in only. */
export class UnsolicitedResponseRefusedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      403,
      'saml_unsolicited_refused',
      'Please start signing in from fedgate rather than from your identity provider.',
      {
        ...opts,
        detail,
      },
    );
  }
}

/** A SAMLResponse form is a few KB; Entra with many groups stays well under 256 KB. */
const ACS_FORM_MAX_BYTES = 256 * 1024;

const PendingRequestSchema = (
  v: unknown,
): { idp: string; destination: string; continueTo?: string } | undefined => {
  const o = v as { idp?: unknown; destination?: unknown; continueTo?: unknown } | undefined;
  return typeof o?.idp === 'string' && typeof o.destination === 'string'
    ? {
        idp: o.idp,
        destination: o.destination,
        // A CLI page to come back to (checked again by the completion).
        ...(typeof o.continueTo === 'string' ? { continueTo: o.continueTo } : {}),
      }
    : undefined;
};

/**
 * The ACS (`POST /saml/{idp}/acs`) as a list of named steps. The ACS URL selects the IdP (the
 * trust anchor never comes from the message's own Issuer). No samlify on this path: the verifier
 * is fedgate's own single-parse one.
 */
export const createAcsEndpoint = (deps: AcsDeps) => {
  const clock = deps.clock ?? systemClock;
  const now = () => epochSeconds(clock);

  const flow = defineFlow<{ event: APIGatewayProxyEventV2 }, HttpResponse>('saml-acs', deps.log)
    .step('requirePost', ({ event }) => requireMethod(event, 'POST'))
    .step('loadSamlIdp', async ({ event }) => ({
      idp: await loadSamlIdp(deps.attributes, event, deps.log),
    }))
    .step('parseAcsForm', ({ event }) => {
      const form = parseForm(event, ACS_FORM_MAX_BYTES);
      const samlResponseB64 = form.get('SAMLResponse');
      if (!samlResponseB64) throw new InvalidRequestError('no SAMLResponse in the form');
      return { form, samlResponseB64 };
    })
    // SP-initiated: the browser's pending request says which InResponseTo to expect. It is only
    // read here: a POST that does not verify (any site can make the browser send one, cookie
    // included) must not spend it and so cancel the person's sign-in.
    .step('peekPendingRequest', async ({ event, idp }) => {
      const pendingId = readCookie(event.cookies, pendingRequestCookie(idp.id));
      const pendingKey = pendingId ? pendingRequestKey(pendingId) : undefined;
      const peeked = pendingKey
        ? PendingRequestSchema(await deps.state.get(pendingKey))
        : undefined;
      const expectedInResponseTo = peeked?.idp === idp.id ? pendingId : undefined;
      return { pendingId, pendingKey, expectedInResponseTo };
    })
    .step('refuseUnsolicited', ({ idp, expectedInResponseTo }) => {
      if (expectedInResponseTo === undefined && idp.saml.idpInitiated === 'deny') {
        throw new UnsolicitedResponseRefusedError(
          `idp ${idp.id} accepts only SP-initiated sign-in`,
        );
      }
    })
    .step('verifySamlResponse', async ({ idp, samlResponseB64, expectedInResponseTo }) => {
      const urls = spUrls(deps.publicBaseUrl, idp.id);
      return {
        assertion: await deps.verify(idp, {
          samlResponseB64,
          acsUrl: urls.acsUrl,
          spEntityId: urls.entityId,
          expectedInResponseTo,
          now: now(),
        }),
      };
    })
    // A verified answer to the pending request spends it (single use, one winner across
    // containers): a response that lost the race to another one answering the same request
    // finds it gone, as if its InResponseTo were unknown.
    .step('spendPendingRequest', async ({ idp, expectedInResponseTo, pendingKey }) => {
      if (expectedInResponseTo === undefined || !pendingKey) return { pending: undefined };
      const pending = PendingRequestSchema(await deps.state.consume(pendingKey));
      if (pending?.idp !== idp.id) {
        throw new SamlInResponseToInvalidError(
          'the pending AuthnRequest was spent by another response while this one was verified',
        );
      }
      return { pending };
    })
    // Replay: the assertion id is remembered (conditional put) until it could no longer be
    // accepted anyway; a second use, in any container, is refused.
    .step('consumeReplayKey', ({ idp, assertion }) =>
      consumeAssertion(deps.replay, idp.id, assertion),
    )
    .step('mapSamlIdentity', ({ idp, assertion }) => ({
      identity: sessionIdentityOf(
        {
          ...deps.toIdentity(idp, assertion),
          ...(assertion.authnContextClassRef !== undefined
            ? { authMethod: assertion.authnContextClassRef }
            : {}),
        },
        'saml',
      ),
    }))
    .step('chooseDestination', ({ form, pending }) => {
      const relayState = form.get('RelayState');
      return {
        destination: pending
          ? new URL(pending.destination)
          : relayState
            ? deps.parseDestination(relayState)
            : undefined,
      };
    })
    // An unsolicited response may have been posted by any site (login CSRF): unless the IdP's
    // tile is trusted (`allow`), the person confirms who they are signing in as.
    .end('completeSignIn', (ctx) => {
      const { event, idp, identity, destination, assertion, pending, pendingId } = ctx;
      const cookies = pendingId ? [clearCookie(pendingRequestCookie(idp.id), 'None')] : [];
      const upstreamEnds =
        assertion.sessionNotOnOrAfter !== undefined
          ? { upstreamEndsAt: assertion.sessionNotOnOrAfter }
          : {};
      if (ctx.expectedInResponseTo === undefined && idp.saml.idpInitiated === 'confirm') {
        return deps.confirmation.hold({
          identity,
          idp,
          destination,
          ...upstreamEnds,
          requestId: event.requestContext.requestId,
          cookies,
        });
      }
      return deps.complete.browser({
        identity,
        idp,
        destination,
        ...upstreamEnds,
        cookies,
        ...(pending?.continueTo !== undefined ? { continueTo: pending.continueTo } : {}),
      });
    });

  return {
    /** The ACS flow's step names, in order (for the docs and the tests). */
    steps: flow.steps,
    /**
     * `POST /saml/{idp}/acs`: parse → (peek the pending request) → verify → (spend the pending
     * request) → replay → claims → map → hand back.
     * @throws the verifier's saml_* codes (saml_in_response_to_invalid also for a pending request
     * spent by a concurrent response), replay_detected, no_role_matched, invalid_request.
     */
    acs: (event: APIGatewayProxyEventV2): Promise<HttpResponse> => flow.run({ event }),
  };
};
