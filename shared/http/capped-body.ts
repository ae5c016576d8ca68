import type { Readable } from 'node:stream';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidRequestError } from './errors.js';

/**
 * The one place fedgate reads a body of bounded size: a request body from API Gateway, a response
 * body from an upstream (the IdP, the secrets extension, the federation endpoint, a document an
 * operator names), a request body in the local runner. Every reader keeps at most the cap in
 * memory and stops at the first byte past it; the caller says what "too large" means where it
 * reads (house style: errors are translated where the library is called), so each failure keeps
 * its one code: `invalid_request` for a request, the caller's code for an upstream answer.
 */

/** One pull from a body: a web stream reader's `read()`, or a Node stream iterator's `next()`. */
export type ChunkPull = () => Promise<{ done?: boolean; value?: Uint8Array }>;

/**
 * Pulls chunks until the source ends, keeping them while their total stays within `maxBytes`.
 * @returns the bytes, or `undefined` as soon as the total passes the cap. The source is then
 *   left where it stopped, for the caller to cancel, drain or destroy.
 */
export const collectCapped = async (
  pull: ChunkPull,
  maxBytes: number,
): Promise<Buffer<ArrayBuffer> | undefined> => {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await pull();
    if (done || value === undefined) break;
    size += value.byteLength;
    if (size > maxBytes) return undefined;
    chunks.push(value);
  }
  return Buffer.concat(chunks);
};

/**
 * Reads a fetch `Response` body whole, refusing it past `maxBytes`: a larger Content-Length is
 * refused before reading (`tooLarge(declared)`), a body that streams past the cap as soon as it
 * does (`tooLarge(undefined)`); either way the stream is cancelled.
 * @throws whatever `tooLarge` returns.
 * @example
 * const bytes = await readResponseCapped(response, 64 * 1024, () => new ConsoleSigninFailedError('answer too large'));
 */
export const readResponseCapped = async (
  response: Response,
  maxBytes: number,
  tooLarge: (declared: number | undefined) => Error,
): Promise<Buffer<ArrayBuffer>> => {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(declared);
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const body = await collectCapped(() => reader.read(), maxBytes);
  if (body === undefined) {
    await reader.cancel().catch(() => undefined);
    throw tooLarge(undefined);
  }
  return body;
};

/**
 * Reads a Node stream (an `IncomingMessage`, a file stream) whole, refusing it past `maxBytes`.
 * Past the cap the stream is destroyed; with `drainBytes`, a request is first read on without
 * keeping anything until it ends, so an HTTP answer (a 413) can still reach the client, and only
 * destroyed when its total passes `drainBytes`.
 * @throws whatever `tooLarge` returns, and the stream's own error.
 * @example
 * const body = await readStreamCapped(req, 10 * 1024 * 1024, () => new PayloadTooLarge(), { drainBytes: 64 * 1024 * 1024 });
 */
export const readStreamCapped = async (
  stream: Readable,
  maxBytes: number,
  tooLarge: () => Error,
  opts: { drainBytes?: number } = {},
): Promise<Buffer<ArrayBuffer>> => {
  // The iterator is pulled by hand and never `return()`ed: breaking out of `for await` would
  // destroy the stream, and with it the socket a 413 has to go out on.
  const chunks: AsyncIterator<Uint8Array> = stream[Symbol.asyncIterator]();
  let size = 0;
  const pull = async () => {
    const next = await chunks.next();
    if (!next.done) size += next.value.byteLength;
    return next;
  };
  const body = await collectCapped(pull, maxBytes);
  if (body !== undefined) return body;
  while (size <= (opts.drainBytes ?? 0)) {
    if ((await pull()).done) throw tooLarge();
  }
  stream.destroy();
  throw tooLarge();
};

/**
 * The raw request body of an API Gateway v2 event (which base64-encodes non-text bodies),
 * refusing more than `maxBytes` before decoding anything larger.
 * @throws invalid_request (InvalidRequestError, 400) for an oversize or malformed body
 */
export const readBody = (event: APIGatewayProxyEventV2, maxBytes: number): Buffer => {
  const raw = event.body ?? '';
  if (!event.isBase64Encoded) {
    if (Buffer.byteLength(raw) > maxBytes) throw new InvalidRequestError('body too large');
    return Buffer.from(raw, 'utf8');
  }
  // 4 base64 characters carry 3 bytes: refuse before decoding.
  if (Math.floor((raw.length * 3) / 4) > maxBytes + 3)
    throw new InvalidRequestError('body too large');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw))
    throw new InvalidRequestError('body is not valid base64');
  const body = Buffer.from(raw, 'base64');
  if (body.length > maxBytes) throw new InvalidRequestError('body too large');
  return body;
};
