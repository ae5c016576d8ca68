import { createHash } from 'node:crypto';
import { ReplayDetectedError, StateItemExistsError } from './errors.js';
import type { ReplayCache, StateStore } from './ports.js';
import { STATE_KEY_PREFIXES, stateKey } from './table-schema.js';

const NAMESPACE = /^[A-Za-z0-9:._-]{1,128}$/;

/**
 * A replay cache on the state store: the first `remember` of an id wins (a conditional create),
 * any later one within validity, from any container sharing the table, is a replay. Ids are
 * hashed into the key (SHA-256, base64url): they are attacker-chosen, may be long or odd, and the
 * table needs no copy of them. Entries are kept until `notOnOrAfter + clockSkewSeconds`, the last
 * moment at which a verifier with that skew would still accept the artefact.
 * @throws replay_detected (ReplayDetectedError) from `remember` on a second use.
 * @throws RangeError from `remember` for a namespace outside `[A-Za-z0-9:._-]{1,128}` or an
 * artefact that is already invalid (the verifier must reject those first).
 * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
 * @example
 * const replay = createReplayCache({ state, clockSkewSeconds: config.clockSkewSeconds });
 * await replay.remember(`saml:${idp.id}`, assertion.id, assertion.notOnOrAfter);
 */
export const createReplayCache = ({
  state,
  clockSkewSeconds = 0,
}: {
  state: StateStore;
  clockSkewSeconds?: number;
}): ReplayCache => ({
  async remember(namespace, id, notOnOrAfter) {
    if (!NAMESPACE.test(namespace)) {
      throw new RangeError('a replay namespace is 1-128 of A-Z a-z 0-9 : . _ -');
    }
    const digest = createHash('sha256').update(id, 'utf8').digest('base64url');
    const key = stateKey(STATE_KEY_PREFIXES.replay, `${namespace}#${digest}`);
    try {
      await state.put(key, {}, Math.ceil(notOnOrAfter) + clockSkewSeconds);
    } catch (err) {
      if (err instanceof StateItemExistsError) {
        throw new ReplayDetectedError(`${namespace} id seen before (sha256 ${digest})`, {
          cause: err,
        });
      }
      throw err;
    }
  },
});
