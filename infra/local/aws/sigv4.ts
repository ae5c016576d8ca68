import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * AWS Signature Version 4 as STS checks it on a signed call (GetCallerIdentity), for the local
 * stand-in: the `Authorization` header form the AWS CLI and SDKs send, recomputed from the
 * request as received and compared in constant time. Written from the published algorithm
 * (AWS General Reference, "Create a signed AWS API request"), not from any SDK's signer.
 */

/** What a signed request claims: who signed, for which scope, and the signature. */
export interface SigV4Claim {
  accessKeyId: string;
  /** `YYYYMMDD/region/service/aws4_request`. */
  scope: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** `X-Amz-Date`, `YYYYMMDDTHHMMSSZ`. */
  amzDate: string;
  /** `X-Amz-Security-Token`, for temporary credentials. */
  sessionToken: string | undefined;
}

/** Why a request's signature is not accepted, as STS names it. */
export type SigV4Refusal =
  | { code: 'MissingAuthenticationToken'; message: string }
  | { code: 'IncompleteSignature'; message: string }
  | { code: 'SignatureDoesNotMatch'; message: string };

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** AWS allows a signed request's time to be off by at most 15 minutes. */
export const SIGV4_MAX_SKEW_MS = 15 * 60_000;

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** Reads the claim of a signed request, or the refusal STS gives for a malformed one. */
export const parseSigV4 = (req: IncomingMessage): SigV4Claim | SigV4Refusal => {
  const auth = header(req, 'authorization');
  if (auth === undefined) {
    return {
      code: 'MissingAuthenticationToken',
      message: 'Request is missing Authentication Token',
    };
  }
  const m = AUTH.exec(auth.trim());
  const amzDate = header(req, 'x-amz-date');
  if (!m || amzDate === undefined || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    return { code: 'IncompleteSignature', message: 'Authorization header or X-Amz-Date malformed' };
  }
  const [, accessKeyId, date, region, service, signed, signature] = m as unknown as string[];
  const signedHeaders = (signed as string).split(';');
  if (!signedHeaders.includes('host') || !amzDate.startsWith(date as string)) {
    return { code: 'IncompleteSignature', message: 'host must be signed; date must match' };
  }
  return {
    accessKeyId: accessKeyId as string,
    scope: `${date}/${region}/${service}/aws4_request`,
    date: date as string,
    region: region as string,
    service: service as string,
    signedHeaders,
    signature: signature as string,
    amzDate,
    sessionToken: header(req, 'x-amz-security-token'),
  };
};

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
const uriEncode = (s: string): string =>
  encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

const sha256Hex = (data: string | Buffer): string =>
  createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/** `X-Amz-Date` as epoch ms. */
const amzDateMs = (amzDate: string): number =>
  Date.UTC(
    Number(amzDate.slice(0, 4)),
    Number(amzDate.slice(4, 6)) - 1,
    Number(amzDate.slice(6, 8)),
    Number(amzDate.slice(9, 11)),
    Number(amzDate.slice(11, 13)),
    Number(amzDate.slice(13, 15)),
  );

/**
 * Checks a claim against the signer's secret: the request's time within 15 minutes of `now`, then
 * the signature recomputed over the canonical request (method, path, sorted query, the signed
 * headers, the body's SHA-256).
 * @returns undefined when the signature is right, else STS's refusal.
 */
export const verifySigV4 = (
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  claim: SigV4Claim,
  secretAccessKey: string,
  now: number,
): SigV4Refusal | undefined => {
  if (Math.abs(amzDateMs(claim.amzDate) - now) > SIGV4_MAX_SKEW_MS) {
    return {
      code: 'SignatureDoesNotMatch',
      message: 'Signature expired: the request time is too far from now',
    };
  }
  const path =
    url.pathname
      .split('/')
      .map((segment) => uriEncode(decodeURIComponent(segment)))
      .join('/') || '/';
  const query = [...url.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = claim.signedHeaders
    .map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonical = [
    req.method ?? '',
    path,
    query,
    headers,
    claim.signedHeaders.join(';'),
    header(req, 'x-amz-content-sha256') ?? sha256Hex(body),
  ].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', claim.amzDate, claim.scope, sha256Hex(canonical)].join('\n');
  const key = [claim.date, claim.region, claim.service, 'aws4_request'].reduce<Buffer | string>(
    (k, part) => hmac(k, part),
    `AWS4${secretAccessKey}`,
  );
  const expected = Buffer.from(hmac(key, toSign).toString('hex'));
  const got = Buffer.from(claim.signature);
  return expected.length === got.length && timingSafeEqual(expected, got)
    ? undefined
    : {
        code: 'SignatureDoesNotMatch',
        message:
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      };
};
