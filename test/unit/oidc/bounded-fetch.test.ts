import { describe, expect, it } from 'vitest';
import { createBoundedFetch } from '../../../shared/oidc/index.js';

const opts = { body: undefined, headers: {}, method: 'GET', redirect: 'manual' as const };

const streaming = (chunks: number, size: number) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < chunks; i++) c.enqueue(new Uint8Array(size));
      c.close();
    },
  });

describe('createBoundedFetch', () => {
  it('passes a response under the cap through, status and headers kept', async () => {
    const f = createBoundedFetch({
      fetch: async () => new Response('{"a":1}', { status: 201, headers: { 'x-y': 'z' } }),
    });
    const res = await f('https://op.example/x', opts);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-y')).toBe('z');
    expect(await res.json()).toEqual({ a: 1 });
  });

  it('refuses a declared Content-Length over the cap without reading it', async () => {
    const f = createBoundedFetch({
      maxResponseBytes: 10,
      fetch: async () => new Response('x'.repeat(11), { headers: { 'content-length': '11' } }),
    });
    await expect(f('https://op.example/x', opts)).rejects.toMatchObject({
      code: 'oidc_response_too_large',
    });
  });

  it('refuses a streamed body once it passes the cap', async () => {
    const f = createBoundedFetch({
      maxResponseBytes: 1000,
      fetch: async () => new Response(streaming(5, 400)),
    });
    await expect(f('https://op.example/x', opts)).rejects.toMatchObject({
      code: 'oidc_response_too_large',
    });
  });

  it('aborts a request past the deadline', async () => {
    const f = createBoundedFetch({
      timeoutMs: 50,
      fetch: (_url, init) =>
        new Promise((_, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    });
    await expect(f('https://op.example/x', opts)).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('a 204 has no body', async () => {
    const f = createBoundedFetch({ fetch: async () => new Response(null, { status: 204 }) });
    expect((await f('https://op.example/x', opts)).status).toBe(204);
  });
});
