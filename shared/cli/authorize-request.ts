import { InvalidRequestError } from '../http/errors.js';
import { isS256Challenge } from '../spa/index.js';
import { isClientLabel } from './approval.js';
import { parseLoopbackRedirectUri } from './loopback.js';

const STATE = /^[A-Za-z0-9_-]{16,128}$/;
const IDP_ID = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** A checked `GET /cli/authorize` request (RFC 8252 loopback + RFC 7636 S256). */
export interface CliAuthorizeRequest {
  redirectUri: URL;
  codeChallenge: string;
  state: string;
  /** The CLI's machine label. */
  client: string;
  /** The IdP the CLI asked to sign in with, if any. */
  idp?: string;
  /** The request's parameters in one canonical order: the consent form's hidden fields. */
  fields: Readonly<Record<string, string>>;
}

/**
 * Checks the CLI's authorize parameters, `redirect_uri` first (nothing ever redirects to a URI
 * that is not a loopback listener): `code_challenge` S256 only, a `state` of 16–128 URL-safe
 * characters, the CLI's machine label as `client`, an optional `idp`.
 * @param get reads one parameter (the query string, or the consent form when it comes back).
 * @throws cli_redirect_uri_invalid, invalid_request.
 */
export const parseCliAuthorizeRequest = (
  get: (name: string) => string | undefined,
): CliAuthorizeRequest => {
  const redirectUri = parseLoopbackRedirectUri(get('redirect_uri'));
  const responseType = get('response_type');
  if (responseType !== undefined && responseType !== 'code') {
    throw new InvalidRequestError('response_type must be code');
  }
  const codeChallenge = get('code_challenge') ?? '';
  if (!isS256Challenge(codeChallenge) || get('code_challenge_method') !== 'S256') {
    throw new InvalidRequestError('code_challenge with code_challenge_method=S256 is required');
  }
  const state = get('state') ?? '';
  if (!STATE.test(state)) throw new InvalidRequestError('state missing or malformed');
  const client = get('client');
  if (!isClientLabel(client)) throw new InvalidRequestError('client label missing or malformed');
  const idp = get('idp');
  if (idp !== undefined && !IDP_ID.test(idp)) throw new InvalidRequestError('idp malformed');
  return {
    redirectUri,
    codeChallenge,
    state,
    client,
    ...(idp !== undefined ? { idp } : {}),
    fields: {
      redirect_uri: redirectUri.href,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
      state,
      client,
      ...(idp !== undefined ? { idp } : {}),
    },
  };
};

/** `/cli/authorize?…` for a request: where a sign-in started from it comes back to. */
export const authorizePathOf = (request: CliAuthorizeRequest): string =>
  `/cli/authorize?${new URLSearchParams(request.fields).toString()}`;
