import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** An API Gateway v2 event for tests: GET / unless told otherwise. */
export const apiEvent = (
  over: Partial<APIGatewayProxyEventV2> & { method?: string; path?: string } = {},
): APIGatewayProxyEventV2 => {
  const { method = 'GET', path = '/', ...rest } = over;
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      domainName: 'sso.example.com',
      domainPrefix: 'sso',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '22/Nov/2026:09:00:00 +0000',
      timeEpoch: 1_795_338_000_000,
    },
    ...rest,
  };
};

/** A Lambda context for tests. */
export const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'fedgate-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fedgate-test',
  memoryLimitInMB: '512',
  awsRequestId: 'aws-req-1',
  logGroupName: '/aws/lambda/fedgate-test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** A logger that records what it is asked to log (to assert on, and to scan for secrets). */
export const captureLogger = () => {
  const lines: { level: string; message: string; attrs: unknown[] }[] = [];
  const at =
    (level: string) =>
    (message: string, ...attrs: unknown[]) => {
      lines.push({ level, message, attrs });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    appendKeys: () => undefined,
    text: () =>
      JSON.stringify(lines, (_k, v) =>
        v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v,
      ),
  };
};
