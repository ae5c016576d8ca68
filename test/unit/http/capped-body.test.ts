import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  collectCapped,
  readBody,
  readResponseCapped,
  readStreamCapped,
} from '../../../shared/http/capped-body.js';
import { apiEvent } from '../../support/events.js';

const bytes = (n: number) => new Uint8Array(n).fill(0x61);

/** A web stream of the given chunk sizes that records how far it was read and if it was cancelled. */
const webBody = (sizes: number[]) => {
  const seen = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = sizes[seen.pulled++];
      if (size === undefined) controller.close();
      else controller.enqueue(bytes(size));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { body, seen };
};

/** A Node stream of the given chunk sizes that records how many it handed out. */
const nodeBody = (sizes: number[]) => {
  const seen = { read: 0 };
  const stream = Readable.from(
    (function* () {
      for (const size of sizes) {
        seen.read++;
        yield Buffer.from(bytes(size));
      }
    })(),
  );
  return { stream, seen };
};

class TooLarge extends Error {
  constructor(readonly declared?: number) {
    super('too large');
  }
}

describe('collectCapped', () => {
  it('keeps a body of exactly the cap and stops at the first chunk past it', async () => {
    const chunks = [bytes(4), bytes(6), bytes(1), bytes(1)];
    let pulls = 0;
    const pull = async () => {
      const value = chunks[pulls++];
      return value ? { value } : { done: true };
    };
    const first = await collectCapped(async () => (pulls < 2 ? pull() : { done: true }), 10);
    expect(first?.length).toBe(10);
    pulls = 0;
    expect(await collectCapped(pull, 10)).toBeUndefined();
    expect(pulls).toBe(3);
  });
});

describe('readResponseCapped', () => {
  it('returns a body up to the cap', async () => {
    const { body } = webBody([3, 3]);
    const got = await readResponseCapped(new Response(body), 6, (d) => new TooLarge(d));
    expect(got.toString()).toBe('aaaaaa');
  });

  it('refuses a declared Content-Length over the cap without reading, and cancels the body', async () => {
    const { body, seen } = webBody([1]);
    const res = new Response(body, { headers: { 'content-length': '7' } });
    await expect(readResponseCapped(res, 6, (d) => new TooLarge(d))).rejects.toEqual(
      expect.objectContaining({ declared: 7 }),
    );
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThanOrEqual(1);
  });

  it('refuses a body that streams past the cap as soon as it does, and cancels the rest', async () => {
    const { body, seen } = webBody([4, 4, 4, 4]);
    const err = await readResponseCapped(new Response(body), 6, (d) => new TooLarge(d)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TooLarge);
    expect((err as TooLarge).declared).toBeUndefined();
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThan(4);
  });

  it('reads no body as empty', async () => {
    const got = await readResponseCapped(new Response(null, { status: 204 }), 6, () => {
      throw new Error('not called');
    });
    expect(got.length).toBe(0);
  });
});

describe('readStreamCapped', () => {
  it('returns a stream up to the cap', async () => {
    const { stream } = nodeBody([5, 5]);
    expect((await readStreamCapped(stream, 10, () => new TooLarge())).length).toBe(10);
  });

  it('destroys a stream past the cap when it may not drain it', async () => {
    const { stream, seen } = nodeBody([6, 6, 6, 6]);
    await expect(readStreamCapped(stream, 10, () => new TooLarge())).rejects.toBeInstanceOf(
      TooLarge,
    );
    expect(stream.destroyed).toBe(true);
    expect(seen.read).toBeLessThan(4);
  });

  it('drains a stream past the cap to its end, so an answer can still be written', async () => {
    const { stream, seen } = nodeBody([6, 6, 6, 6]);
    await expect(
      readStreamCapped(stream, 10, () => new TooLarge(), { drainBytes: 100 }),
    ).rejects.toBeInstanceOf(TooLarge);
    expect(seen.read).toBe(4);
  });

  it('destroys a stream that passes the drain limit too', async () => {
    const { stream, seen } = nodeBody(Array(20).fill(6));
    await expect(
      readStreamCapped(stream, 10, () => new TooLarge(), { drainBytes: 30 }),
    ).rejects.toBeInstanceOf(TooLarge);
    expect(stream.destroyed).toBe(true);
    expect(seen.read).toBeLessThan(20);
  });

  it('passes the stream’s own error through', async () => {
    const stream = new Readable({ read() {} });
    const read = readStreamCapped(stream, 10, () => new TooLarge());
    stream.destroy(Object.assign(new Error('gone'), { code: 'ENOENT' }));
    await expect(read).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('readBody (API Gateway request bodies)', () => {
  it.each([
    ['a plain body of exactly the cap', { body: 'x'.repeat(10) }, 10],
    [
      'a base64 body that decodes to exactly the cap',
      { body: btoa('y'.repeat(10)), isBase64Encoded: true },
      10,
    ],
  ])('keeps %s', (_, event, length) => {
    expect(readBody(apiEvent(event), 10).length).toBe(length);
  });

  it.each([
    ['a plain body one byte over', { body: 'x'.repeat(11) }],
    ['a plain body over in UTF-8 bytes, not characters', { body: 'é'.repeat(6) }],
    [
      'a base64 body that decodes one byte over',
      { body: btoa('y'.repeat(11)), isBase64Encoded: true },
    ],
    ['a base64 body too long to decode', { body: 'A'.repeat(10_000), isBase64Encoded: true }],
    ['a malformed base64 body', { body: 'not base64!', isBase64Encoded: true }],
  ])('refuses %s with invalid_request', (_, event) => {
    expect(() => readBody(apiEvent(event), 10)).toThrow(
      expect.objectContaining({ code: 'invalid_request', status: 400 }),
    );
  });
});
