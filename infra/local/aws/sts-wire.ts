import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * STS's wire protocol as @aws-sdk/client-sts 3.1162 speaks it: **awsQuery**. The SDK POSTs
 * `application/x-www-form-urlencoded` to the endpoint's path (always ending in `/`) with
 * `Action=<Operation>&Version=2011-06-15&<Member>=<value>…`; STS answers XML in the namespace
 * `https://sts.amazonaws.com/doc/2011-06-15/`: `<OpResponse><OpResult>…</OpResult>
 * <ResponseMetadata><RequestId/></ResponseMetadata></OpResponse>` on success, and
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` with a
 * 4xx/5xx status on failure. The SDK picks the exception by `<Code>` (its `awsQueryError` codes:
 * `IDPRejectedClaim`, `InvalidIdentityToken`, `ExpiredTokenException`, …; anything else becomes an
 * `STSServiceException` named after the code) and retries `Throttling` and 5xx.
 */

export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const STS_API_VERSION = '2011-06-15';

/** One STS error answer: code and message as STS sends them. */
export class StsFault extends Error {
  readonly code: string;
  readonly status: number;
  readonly type: 'Sender' | 'Receiver';
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'StsFault';
    this.code = code;
    this.status = status;
    this.type = status >= 500 ? 'Receiver' : 'Sender';
  }
}

// Codes and statuses as STS uses them (the SDK's model: IDPRejectedClaim, AccessDenied and
// RegionDisabledException are 403; ExpiredToken's wire code keeps its "Exception" suffix).
export const faults = {
  validation: (message: string) => new StsFault('ValidationError', message),
  invalidIdentityToken: (message: string) => new StsFault('InvalidIdentityToken', message),
  expiredToken: (message: string) => new StsFault('ExpiredTokenException', message),
  idpRejectedClaim: (message: string) => new StsFault('IDPRejectedClaim', message, 403),
  accessDenied: (message = 'Not authorized to perform sts:AssumeRoleWithSAML') =>
    new StsFault('AccessDenied', message, 403),
  packedPolicyTooLarge: (message: string) => new StsFault('PackedPolicyTooLarge', message),
  throttling: () => new StsFault('Throttling', 'Rate exceeded'),
  unavailable: () =>
    new StsFault('ServiceUnavailable', 'Service is unavailable (local stand-in fault)', 503),
  invalidAction: (message: string) => new StsFault('InvalidAction', message),
};

/** STS's input-validation message for one parameter, as the real service words it. */
export const validationError = (field: string, constraint: string) =>
  faults.validation(
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`,
  );

// IAM's and STS's own patterns (IAM API reference), for both AssumeRoleWith* checks; written out
// here rather than shared with fedgate: the stand-ins are independent checkers.
export const ROLE_ARN =
  /^arn:(aws|aws-us-gov|aws-cn):iam::(\d{12}):role\/(?:[\x21-\x7e]{0,510}\/)?([\w+=,.@-]{1,64})$/;
export const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
export const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text for an XML text node or attribute. */
export const xmlEscape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] as string);

/** An XML element tree: text, or ordered children (undefined children are left out). */
export type XmlNode = string | number | readonly (readonly [string, XmlNode | undefined])[];

const renderNode = (node: XmlNode): string =>
  typeof node === 'string' || typeof node === 'number'
    ? xmlEscape(String(node))
    : node
        .filter(([, child]) => child !== undefined)
        .map(([name, child]) => `<${name}>${renderNode(child as XmlNode)}</${name}>`)
        .join('');

const send = (res: ServerResponse, status: number, requestId: string, xml: string) => {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'x-amzn-requestid': requestId,
    'cache-control': 'no-store',
  });
  res.end(xml);
};

/** Writes `<{action}Response><{action}Result>…` the way STS does. */
export const sendStsResult = (res: ServerResponse, action: string, result: XmlNode): void => {
  const requestId = randomUUID();
  send(
    res,
    200,
    requestId,
    `<${action}Response xmlns="${STS_XML_NAMESPACE}"><${action}Result>${renderNode(result)}</${action}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  );
};

/** Writes STS's `ErrorResponse` document. */
export const sendStsError = (res: ServerResponse, fault: StsFault): void => {
  const requestId = randomUUID();
  send(
    res,
    fault.status,
    requestId,
    `<ErrorResponse xmlns="${STS_XML_NAMESPACE}"><Error><Type>${fault.type}</Type>` +
      `<Code>${xmlEscape(fault.code)}</Code><Message>${xmlEscape(fault.message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
};

/** The query parameters of an STS call: the form body of a POST, or the query string of a GET. */
export const readStsParams = (
  req: IncomingMessage,
  body: Buffer,
  url: URL,
): URLSearchParams | StsFault => {
  if (req.method === 'GET') return url.searchParams;
  if (req.method !== 'POST') return faults.invalidAction(`Method ${req.method} is not supported`);
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    return faults.invalidAction('Content-Type must be application/x-www-form-urlencoded');
  }
  return new URLSearchParams(body.toString('utf8'));
};

/** STS's timestamp format: ISO 8601 UTC without milliseconds. */
export const stsTimestamp = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;
