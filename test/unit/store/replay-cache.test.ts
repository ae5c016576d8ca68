import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createReplayCache,
  ReplayDetectedError,
  StateItemExistsError,
  type StateKey,
  type StateStore,
} from '../../../shared/store/index.js';

/** A state store in memory that records its calls (the DynamoDB one is tested on its own). */
const createMemoryState = () => {
  const items = new Map<string, number>();
  const calls: { key: StateKey; expiresAt: number }[] = [];
  const state: StateStore = {
    async put(key, _data, expiresAt) {
      calls.push({ key, expiresAt });
      if (items.has(key)) throw new StateItemExistsError('exists');
      items.set(key, expiresAt);
    },
    consume: async () => undefined,
    get: async () => undefined,
    update: async () => false,
    delete: async () => undefined,
  };
  return { state, calls };
};

describe('createReplayCache', () => {
  it('hashes the id into the key and keeps it until notOnOrAfter plus the clock skew', async () => {
    const { state, calls } = createMemoryState();
    const id = `_${'x'.repeat(5000)}#\u0000é`;
    await createReplayCache({ state, clockSkewSeconds: 60 }).remember('saml:okta', id, 1000.2);
    const digest = createHash('sha256').update(id, 'utf8').digest('base64url');
    expect(calls).toEqual([{ key: `REPLAY#saml:okta#${digest}`, expiresAt: 1061 }]);
  });

  it('rejects a second use with replay_detected', async () => {
    const { state } = createMemoryState();
    const replay = createReplayCache({ state });
    await replay.remember('saml:okta', 'id-1', 2000);
    const err = await replay.remember('saml:okta', 'id-1', 2000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayDetectedError);
    expect(err).toMatchObject({ status: 400, code: 'replay_detected' });
    expect((err as ReplayDetectedError).detail).not.toContain('id-1');
  });

  it('keeps namespaces apart', async () => {
    const { state } = createMemoryState();
    const replay = createReplayCache({ state });
    await replay.remember('saml:okta', 'id-1', 2000);
    await expect(replay.remember('saml:entra', 'id-1', 2000)).resolves.toBeUndefined();
  });

  it.each(['', 'has#hash', 'a b', 'x'.repeat(129)])('refuses namespace %j', async (ns) => {
    const { state, calls } = createMemoryState();
    await expect(createReplayCache({ state }).remember(ns, 'id', 2000)).rejects.toThrow(RangeError);
    expect(calls).toEqual([]);
  });

  it('passes other failures through', async () => {
    const { state } = createMemoryState();
    const boom = new Error('boom');
    state.put = async () => {
      throw boom;
    };
    await expect(createReplayCache({ state }).remember('ns', 'id', 2000)).rejects.toBe(boom);
  });
});
