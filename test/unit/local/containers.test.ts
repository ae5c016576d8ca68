import { describe, expect, it } from 'vitest';
import { createContainerPool } from '../../../infra/local/containers.js';

/** A request held open until the test releases it. */
const held = () => {
  let release!: () => void;
  const done = new Promise<void>((r) => {
    release = r;
  });
  return { done, release };
};

describe('a function’s containers on the local runner', () => {
  it('serves requests one after another from one container', async () => {
    const pool = await createContainerPool(async (n) => `container ${n}`);
    expect(await pool.run(async (c) => c)).toBe('container 1');
    expect(await pool.run(async (c) => c)).toBe('container 1');
    expect(pool.size).toBe(1);
  });

  it('starts a container for a request that arrives while every one is busy, then keeps it', async () => {
    const pool = await createContainerPool(async (n) => `container ${n}`);
    const first = held();
    const second = held();
    const a = pool.run(async (c) => {
      await first.done;
      return c;
    });
    const b = pool.run(async (c) => {
      await second.done;
      return c;
    });
    first.release();
    second.release();
    expect(await Promise.all([a, b])).toEqual(['container 1', 'container 2']);
    expect(pool.size).toBe(2);
    // Both are idle again: the next two at once need no third.
    await Promise.all([pool.run(async () => {}), pool.run(async () => {})]);
    expect(pool.size).toBe(2);
  });

  it('frees a container whose request failed, and counts no container that failed to start', async () => {
    let fail = false;
    const pool = await createContainerPool(async (n) => {
      if (fail) throw new Error('cold start failed');
      return `container ${n}`;
    });
    await expect(pool.run(async () => Promise.reject(new Error('handler threw')))).rejects.toThrow(
      'handler threw',
    );
    expect(await pool.run(async (c) => c)).toBe('container 1');
    const busy = held();
    const a = pool.run(() => busy.done);
    fail = true;
    await expect(pool.run(async (c) => c)).rejects.toThrow('cold start failed');
    expect(pool.size).toBe(1);
    busy.release();
    await a;
  });
});
