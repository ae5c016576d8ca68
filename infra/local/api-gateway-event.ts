import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { FUNCTION_TIMEOUT_SECONDS } from '../manifest.js';

/** Content types API Gateway passes as text; everything else arrives base64-encoded. */
const isTextual = (contentType: string | undefined): boolean => {
  const type = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return (
    type === '' ||
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/xml' ||
    type === 'application/javascript' ||
    type.endsWith('+json') ||
    type.endsWith('+xml')
  );
};

export interface EventInput {
  method: string;
  /** Path and query as received, e.g. `/saml/okta/acs?x=1`. */
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  sourceIp: string;
  routeKey: string;
  pathParameters: Record<string, string>;
  /** `Host` of the public base URL, used as requestContext.domainName. */
  domainName: string;
}

/**
 * Builds the API Gateway HTTP API (payload format 2.0) event a deployed function would receive:
 * lowercase headers with repeated values joined by commas, cookies moved to `cookies`, repeated
 * query parameters joined by commas, non-text bodies base64-encoded.
 */
export const toApiGatewayEvent = (input: EventInput): APIGatewayProxyEventV2 => {
  const queryIndex = input.url.indexOf('?');
  const rawPath = queryIndex < 0 ? input.url : input.url.slice(0, queryIndex);
  const rawQueryString = queryIndex < 0 ? '' : input.url.slice(queryIndex + 1);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(input.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === 'cookie') {
      cookies = (Array.isArray(value) ? value : [value]).flatMap((v) =>
        v
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[lower] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString))
    query[k] = k in query ? `${query[k]},${v}` : v;
  const textual = isTextual(headers['content-type']);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: input.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    ...(Object.keys(input.pathParameters).length ? { pathParameters: input.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: input.domainName,
      domainPrefix: input.domainName.split('.')[0] ?? input.domainName,
      http: {
        method: input.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: input.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: input.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(input.body.length
      ? {
          body: textual ? input.body.toString('utf8') : input.body.toString('base64'),
          isBase64Encoded: !textual,
        }
      : { isBase64Encoded: false }),
  };
};

/** A Lambda context for a local invocation, with the deployed function's time to run. */
export const createLambdaContext = (
  functionName: string,
  timeoutMs = FUNCTION_TIMEOUT_SECONDS * 1000,
): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

/**
 * Writes a handler's result as API Gateway does: a structured result as given (each `cookies`
 * entry its own Set-Cookie); anything else as a 200 JSON body.
 */
export const writeApiGatewayResult = (
  res: ServerResponse,
  result: APIGatewayProxyResultV2,
  head: boolean,
): void => {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(head ? undefined : typeof result === 'string' ? result : JSON.stringify(result));
    return;
  }
  const headers: Record<string, string | string[]> = {
    ...(result.headers as Record<string, string>),
  };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  res.writeHead(result.statusCode ?? 200, headers);
  const body = result.body ?? '';
  res.end(head ? undefined : result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
};
