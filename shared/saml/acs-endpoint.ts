import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { SamlIdpConfig } from '../config/index.js';
import { NoRoleMatchedError } from '../handback/errors.js';
import type { Handback } from '../handback/index.js';
import { clearCookie, readCookie } from '../http/cookies.js';
import { GatewayError, InvalidRequestError } from '../http/errors.js';
import { parseForm, requireMethod } from '../http/request.js';
import type { HttpResponse } from '../http/responses.js';
import { hashSubject, type Log } from '../log.js';
import { createMapperCache, type Identity } from '../mapping/index.js';
import {
  type AttributeStore,
  type ReplayCache,
  STATE_KEY_PREFIXES,
  type StateStore,
  stateKey,
} from '../store/index.js';
import { consumeAssertion } from './consume-assertion.js';
import { loadSamlIdp } from './load-idp.js';
import { pendingRequestCookie, spUrls } from './sp-urls.js';
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
  handback: Handback;
  publicBaseUrl: URL;
  log: Log;
  /** Epoch seconds. */
  now?: () => number;
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

const PendingRequestSchema = (v: unknown): { idp: string; destination: string } | undefined => {
  const o = v as { idp?: unknown; destination?: unknown } | undefined;
  return typeof o?.idp === 'string' && typeof o.destination === 'string'
    ? { idp: o.idp, destination: o.destination }
    : undefined;
};

/**
 * The ACS (`POST /saml/{idp}/acs`) as a list of named steps. The ACS URL selects the IdP (the
 * trust anchor never comes from the message's own Issuer). No samlify on this path: the verifier
 * is fedgate's own single-parse one.
 */
export const createAcsEndpoint = (deps: AcsDeps) => {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const mapperFor = createMapperCache(deps.attributes);

  return {
    /**
     * `POST /saml/{idp}/acs`: parse → (pending request) → verify → replay → claims → map → hand back.
     * @throws the verifier's saml_* codes, replay_detected, no_role_matched, invalid_request.
     */
    async acs(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
      requireMethod(event, 'POST');
      const idp = await loadSamlIdp(deps.attributes, event, deps.log);
      const form = parseForm(event, ACS_FORM_MAX_BYTES);
      const samlResponseB64 = form.get('SAMLResponse');
      if (!samlResponseB64) throw new InvalidRequestError('no SAMLResponse in the form');
      const urls = spUrls(deps.publicBaseUrl, idp.id);

      // SP-initiated: the browser's pending request (single use) says which InResponseTo to expect.
      const pendingId = readCookie(event.cookies, pendingRequestCookie(idp.id));
      const pending = pendingId
        ? PendingRequestSchema(
            await deps.state.consume(stateKey(STATE_KEY_PREFIXES.authnRequest, pendingId)),
          )
        : undefined;
      const expectedInResponseTo = pending?.idp === idp.id ? pendingId : undefined;
      if (expectedInResponseTo === undefined && idp.saml.idpInitiated === 'deny') {
        throw new UnsolicitedResponseRefusedError(
          `idp ${idp.id} accepts only SP-initiated sign-in`,
        );
      }

      const assertion = await deps.verify(idp, {
        samlResponseB64,
        acsUrl: urls.acsUrl,
        spEntityId: urls.entityId,
        expectedInResponseTo,
        now: now(),
      });
      // Replay: the assertion id is remembered (conditional put) until it could no longer be
      // accepted anyway; a second use, in any container, is refused.
      await consumeAssertion(deps.replay, idp.id, assertion);
      const identity = deps.toIdentity(idp, assertion);
      const subjectRef = hashSubject(`${idp.id}:${identity.subject}`);
      const result = (await mapperFor(idp)).mapGrants(identity);
      for (const p of result.problems)
        deps.log.warn('grant not issued', {
          ruleId: p.ruleId,
          roleArn: p.roleArn,
          reason: p.reason,
        });
      if (result.denied || result.grants.length === 0) {
        throw new NoRoleMatchedError(
          result.denied
            ? `denied by ${result.deniedBy.join(', ')}`
            : `no rule granted subject ${subjectRef}`,
        );
      }
      const destination = pending
        ? new URL(pending.destination)
        : deps.parseDestination(form.get('RelayState'));
      const email = identity.claims.email?.length === 1 ? identity.claims.email[0] : undefined;
      const response = await deps.handback.complete({
        person: {
          idp: idp.id,
          protocol: 'saml',
          subjectRef,
          ...(email ? { displayName: email } : {}),
        },
        grants: result.grants,
        destination,
        requestId: event.requestContext.requestId,
      });
      if (pendingId)
        response.cookies = [
          ...(response.cookies ?? []),
          clearCookie(pendingRequestCookie(idp.id), 'None'),
        ];
      return response;
    },
  };
};
