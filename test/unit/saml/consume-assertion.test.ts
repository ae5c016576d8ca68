import { describe, expect, it } from 'vitest';
import { consumeAssertion } from '../../../shared/saml/index.js';
import { createReplayCache } from '../../../shared/store/index.js';
import { clockAtSeconds, clockFromSeconds } from '../../support/clock.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';

const NOW = 1_795_338_000;
const assertion = { assertionId: '_a1', notOnOrAfter: NOW + 300 };

describe('consumeAssertion', () => {
  it('accepts the first use and refuses the second, in the same container', async () => {
    const replay = createReplayCache({
      state: createMemoryStateStore(clockAtSeconds(NOW)),
      clockSkewSeconds: 60,
    });
    await consumeAssertion(replay, 'okta', assertion);
    await expect(consumeAssertion(replay, 'okta', assertion)).rejects.toMatchObject({
      code: 'replay_detected',
    });
  });

  it('refuses a replay in another container or after a restart (the state table is shared)', async () => {
    const state = createMemoryStateStore(clockAtSeconds(NOW));
    await consumeAssertion(createReplayCache({ state }), 'okta', assertion);
    await expect(
      consumeAssertion(createReplayCache({ state }), 'okta', assertion),
    ).rejects.toMatchObject({
      code: 'replay_detected',
    });
  });

  it('keeps the id until NotOnOrAfter plus skew, and per IdP', async () => {
    let now = NOW;
    const state = createMemoryStateStore(clockFromSeconds(() => now));
    const replay = createReplayCache({ state, clockSkewSeconds: 60 });
    await consumeAssertion(replay, 'okta', assertion);
    await consumeAssertion(replay, 'entra', assertion); // another IdP's namespace
    now = NOW + 359;
    await expect(consumeAssertion(replay, 'okta', assertion)).rejects.toMatchObject({
      code: 'replay_detected',
    });
    expect([...state.items.keys()].every((k) => k.startsWith('REPLAY#'))).toBe(true);
  });
});
