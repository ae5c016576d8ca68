import {
  OidcAudienceInvalidError,
  OidcIdTokenIatFutureError,
  OidcIdTokenInvalidError,
} from './errors.js';

/** What the claim checks compare against. */
export interface IdTokenClaimsPolicy {
  /** fedgate's client id at the IdP. */
  clientId: string;
  /** Allowed skew on ID token times, seconds (the same value openid-client gets). */
  clockSkewSeconds: number;
  /** The current time, epoch milliseconds. */
  now: number;
}

/**
 * The ID token claim checks openid-client (oauth4webapi) does not do, run on the claims it has
 * validated and after fedgate's signature check:
 * - `azp`, when present, is fedgate's client id (OIDC Core §3.1.3.7; oauth4webapi checks it only
 *   when `aud` holds several audiences: a present `azp` naming another client means the token was
 *   issued to someone else);
 * - `iat` is not later than now plus the clock skew (oauth4webapi refuses an `iat` more than an
 *   hour in the past, never one in the future: a token minted ahead of time, or by an IdP whose
 *   clock runs ahead, would otherwise live longer than its `exp` says).
 * @throws oidc_audience_invalid, oidc_id_token_iat_future, oidc_id_token_invalid (`iat` not a
 * number).
 * @example verifyIdTokenClaims(tokens.claims(), { clientId, clockSkewSeconds: 60, now: Date.now() });
 */
export const verifyIdTokenClaims = (
  claims: Readonly<Record<string, unknown>>,
  policy: IdTokenClaimsPolicy,
): void => {
  if (claims.azp !== undefined && claims.azp !== policy.clientId) {
    throw new OidcAudienceInvalidError('azp is not our client id');
  }
  const { iat } = claims;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw new OidcIdTokenInvalidError('iat is missing or not a number');
  }
  // Whole seconds, as oauth4webapi reads its own clock for exp and nbf.
  const nowSeconds = Math.floor(policy.now / 1000);
  if (iat > nowSeconds + policy.clockSkewSeconds) {
    throw new OidcIdTokenIatFutureError(
      `iat is ${Math.ceil(iat - nowSeconds)} s in the future (skew ${policy.clockSkewSeconds} s)`,
    );
  }
};
