import type { ReplayCache } from '../store/index.js';
import type { VerifiedAssertion } from './types.js';

/**
 * The replay step (SECURITY.md §2.7), kept out of the verifier so that verification stays pure:
 * records the assertion ID under `saml:<idpId>` until its NotOnOrAfter (the cache adds the skew).
 * Every assertion is single-use, so OneTimeUse needs nothing more. Call it after `verify` and
 * before anything is issued.
 * @throws replay_detected (ReplayDetectedError) on a second use, from any container.
 * @throws temporarily_unavailable (DependencyUnavailableError) when the state table cannot answer.
 * @example await consumeAssertion(replay, idp.id, assertion);
 */
export const consumeAssertion = (
  replay: ReplayCache,
  idpId: string,
  assertion: Pick<VerifiedAssertion, 'assertionId' | 'notOnOrAfter'>,
): Promise<void> => replay.remember(`saml:${idpId}`, assertion.assertionId, assertion.notOnOrAfter);
