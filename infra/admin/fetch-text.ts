import { createReadStream } from 'node:fs';
import { readResponseCapped, readStreamCapped } from '../../shared/http/capped-body.js';
import { CliFailure } from './errors.js';
import type { CliIo } from './target.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Metadata and discovery documents are small; anything bigger is not one. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;

/** A document over the cap, fetched or read from a file: one code either way. */
const tooLarge = (what: string, where: string) =>
  new CliFailure('document_too_large', `${what}: ${where} is larger than 1 MB`);

/** Whether a reference is a URL (else a file path). */
export const isUrl = (ref: string) => /^https?:\/\//i.test(ref);

/**
 * Parses a URL an operator gave: https, or plain http on a loopback host only (the local runner
 * and tests). @throws CliFailure invalid_url.
 */
export const parseFetchUrl = (ref: string, what: string): URL => {
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw new CliFailure('invalid_url', `${what}: not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new CliFailure(
      'invalid_url',
      `${what}: must be https (plain http only on 127.0.0.1/localhost)`,
    );
  }
  return url;
};

/**
 * GETs a small document: https only (loopback http allowed), no redirects (a redirect could leave
 * https), a 10 s timeout and a 1 MB cap.
 * @throws CliFailure fetch_failed, document_too_large.
 */
export const fetchText = async (io: CliIo, url: URL, what: string): Promise<string> => {
  let response: Response;
  try {
    response = await io.fetch(url, {
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { accept: 'application/json, application/xml, text/xml;q=0.9, */*;q=0.1' },
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliFailure(
      'fetch_failed',
      `${what}: GET ${url.href} failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    );
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new CliFailure(
      'fetch_failed',
      `${what}: GET ${url.href} answered HTTP ${response.status}`,
    );
  }
  const body = await readResponseCapped(response, MAX_DOCUMENT_BYTES, () =>
    tooLarge(what, url.href),
  );
  return body.toString('utf8');
};

/** Reads a document from a file path or an https URL. @throws CliFailure. */
export const readTextRef = async (
  io: CliIo,
  ref: string,
  resolvePath: (p: string) => string,
  what: string,
): Promise<string> => {
  if (isUrl(ref)) return fetchText(io, parseFetchUrl(ref, what), what);
  try {
    const body = await readStreamCapped(
      createReadStream(resolvePath(ref)),
      MAX_DOCUMENT_BYTES,
      () => tooLarge(what, ref),
    );
    return body.toString('utf8');
  } catch (err) {
    if (err instanceof CliFailure) throw err;
    throw new CliFailure(
      'fetch_failed',
      `${what}: cannot read ${ref}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
};
