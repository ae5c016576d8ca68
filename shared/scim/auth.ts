import { createHash, timingSafeEqual } from 'node:crypto';
import { type Clock, systemClock } from '../clock.js';
import type { IdpConfig } from '../config/index.js';
import { GatewayMisconfiguredError } from '../http/errors.js';
import { ScimThrottledError, ScimUnauthorizedError } from './errors.js';

/** Shortest SCIM token accepted from configuration: a guessable token would open the directory. */
export const MIN_SCIM_TOKEN_LENGTH = 32;
const MAX_PRESENTED_LENGTH = 4096;

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks the bearer token of a SCIM request against the IdP's own token (its secret reference,
 * resolved through the same resolver as OIDC client secrets, cached per container): both are
 * hashed with SHA-256 and the digests compared in constant time, so neither the token's length nor
 * any prefix leaks through timing. One answer for every failure (no IdP, no provisioning, no or a
 * wrong token, another IdP's token): the caller learns nothing about which IdPs exist.
 * @throws scim_unauthorized (401); server_error when the configured token is shorter than
 * {@link MIN_SCIM_TOKEN_LENGTH} or cannot be resolved.
 */
export const createScimAuthenticator =
  (resolveSecret: (ref: string) => Promise<string>) =>
  async (idp: IdpConfig | undefined, authorization: string | undefined): Promise<IdpConfig> => {
    const m = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization ?? '');
    const presented = m?.[1];
    const scim = idp?.directory?.scim;
    if (!idp || !scim) {
      // Hash anyway: an unknown IdP costs what a known one does.
      digest(presented ?? '');
      throw new ScimUnauthorizedError(
        idp ? `idp ${idp.id} has no SCIM provisioning` : 'no such IdP',
      );
    }
    if (presented === undefined || presented.length > MAX_PRESENTED_LENGTH) {
      throw new ScimUnauthorizedError('no bearer token');
    }
    const expected = await resolveSecret(scim.tokenRef);
    if (expected.length < MIN_SCIM_TOKEN_LENGTH) {
      throw new GatewayMisconfiguredError(
        `idp ${idp.id}: the SCIM token is shorter than ${MIN_SCIM_TOKEN_LENGTH} characters`,
      );
    }
    if (!timingSafeEqual(digest(presented), digest(expected))) {
      throw new ScimUnauthorizedError(`idp ${idp.id}: wrong bearer token`);
    }
    return idp;
  };

/**
 * A per-container token bucket per IdP: `requestsPerSecond` refilled continuously, bursts up to
 * twice that. API Gateway's route throttling bounds the whole stage; this keeps one IdP's client
 * (or a leaked token) from taking all of it.
 * @throws scim_throttled (429) with the seconds to wait.
 */
export const createScimThrottle = (clock: Clock = systemClock) => {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (idp: string, requestsPerSecond: number): void => {
    const now = clock();
    const burst = requestsPerSecond * 2;
    const b = buckets.get(idp) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * requestsPerSecond);
    b.at = now;
    buckets.set(idp, b);
    if (b.tokens < 1)
      throw new ScimThrottledError(Math.max(1, Math.ceil((1 - b.tokens) / requestsPerSecond)));
    b.tokens -= 1;
  };
};
