import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of an embedded DynamoDB (DynamoDB Local or dynalite) that fails
 * on demand, answering as DynamoDB itself does (awsJson1_0 error bodies with a `__type`), so that
 * the SDK's own retry strategy and fedgate's error translation see what they would see in AWS.
 *
 * Faults:
 * - `internal`: 500 `InternalServerError` before the request reaches the table (nothing written);
 * - `throttle`: 400 `ProvisionedThroughputExceededException` (a provisioned table) or
 *   `ThrottlingException` (on-demand or control plane), nothing written;
 * - `hang`: the request is held until the client gives up (its socket timeout), nothing written;
 * - `slow`: the request is forwarded after `delayMs` (within the SDK timeout: it must succeed);
 * - `lost-answer`: the request IS forwarded and applied, then the answer is replaced by a 500
 *   (a write that happened although the client saw it fail: what a retried conditional write meets).
 *
 * A fault applies to the operations listed (`PutItem`, `DeleteItem`, …; all when absent) on the
 * item kinds listed (the partition key's prefix, `REPLAY#`, `CONFIRM#`, `SESSION#`, …; every item
 * when absent) for its first `times` matching requests (every one when absent) after the first
 * `skip`; everything else passes through.
 */
export type DynamoFaultKind = 'internal' | 'throttle' | 'hang' | 'slow' | 'lost-answer';

export interface DynamoFault {
  kind: DynamoFaultKind;
  /** `throttle` only: which throttling error (default ProvisionedThroughputExceededException). */
  throttleAs?: 'ProvisionedThroughputExceededException' | 'ThrottlingException';
  /** `slow` only: how long to hold the request before forwarding it (default 500 ms). */
  delayMs?: number;
  /** Operation names (the part of `X-Amz-Target` after the dot); every operation when absent. */
  operations?: readonly string[];
  /**
   * Item kinds: the prefix of the partition key the request names (`Item.pk` or `Key.pk`) up to
   * and including its `#`; every request when absent (a request naming no single key, e.g. a
   * BatchGetItem, never matches a list).
   */
  keys?: readonly string[];
  /** How many matching requests pass through untouched before the fault starts (default 0). */
  skip?: number;
  /** How many matching requests fail; every one when absent. */
  times?: number;
}

/** One request the proxy saw. */
export interface ProxiedCall {
  operation: string;
  /** The fault applied to it, if any. */
  fault?: DynamoFaultKind;
  /** The table named in the request body, if any. */
  table?: string;
  /** The kind of item named (`REPLAY#`, …: the key's prefix only, never the id), if one is. */
  key?: string;
}

export interface DynamoFaultProxy {
  /** `http://127.0.0.1:<port>`: point the runner's `dynamoEndpoint` here. */
  endpoint: string;
  /** Replaces the active fault (`undefined` clears it) and resets its counter. */
  setFault(fault: DynamoFault | undefined): void;
  /** Every request seen, oldest first. */
  calls(): ProxiedCall[];
  /** Forgets the recorded calls. */
  clearCalls(): void;
  stop(): Promise<void>;
}

const JSON_TYPE = 'application/x-amz-json-1.0';

// The bodies DynamoDB sends (awsJson1_0: the SDK reads the error name from `__type`).
const ERROR_BODIES = {
  InternalServerError: {
    status: 500,
    type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: 'Internal server error',
  },
  ProvisionedThroughputExceededException: {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  ThrottlingException: {
    status: 400,
    type: 'com.amazon.coral.availability#ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
  },
} as const;

const sendError = (res: ServerResponse, name: keyof typeof ERROR_BODIES) => {
  const e = ERROR_BODIES[name];
  const body = JSON.stringify({ __type: e.type, message: e.message });
  res.writeHead(e.status, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(body);
};

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => done(Buffer.concat(chunks)));
    req.on('error', fail);
  });

/** The table and the kind of item (the partition key's prefix) a request names. */
const targetOf = (body: Buffer): { table?: string; key?: string } => {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as {
      TableName?: unknown;
      Item?: { pk?: { S?: unknown } };
      Key?: { pk?: { S?: unknown } };
    };
    const pk = parsed.Item?.pk?.S ?? parsed.Key?.pk?.S;
    const hash = typeof pk === 'string' ? pk.indexOf('#') : -1;
    return {
      ...(typeof parsed.TableName === 'string' ? { table: parsed.TableName } : {}),
      ...(typeof pk === 'string' && hash >= 0 ? { key: pk.slice(0, hash + 1) } : {}),
    };
  } catch {
    return {};
  }
};

/** Starts the proxy on 127.0.0.1 (a free port) in front of `target` (`http://127.0.0.1:<port>`). */
export const startDynamoFaultProxy = async (target: string): Promise<DynamoFaultProxy> => {
  const upstream = new URL(target);
  let fault: DynamoFault | undefined;
  let used = 0;
  let matched = 0;
  const seen: ProxiedCall[] = [];
  const held = new Set<ServerResponse>();

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
    new Promise((done, fail) => {
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          readBody(answer).then(
            (b) => done({ status: answer.statusCode ?? 502, headers: answer.headers, body: b }),
            fail,
          );
        },
      );
      out.on('error', fail);
      out.end(body);
    });

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.slice(target.indexOf('.') + 1);
      const { table, key } = targetOf(body);
      const matches =
        fault &&
        (!fault.operations || fault.operations.includes(operation)) &&
        (!fault.keys || (key !== undefined && fault.keys.includes(key)));
      if (matches) matched++;
      const active =
        fault &&
        matches &&
        matched > (fault.skip ?? 0) &&
        (fault.times === undefined || used < fault.times)
          ? fault
          : undefined;
      if (active) used++;
      seen.push({
        operation,
        ...(active ? { fault: active.kind } : {}),
        ...(table ? { table } : {}),
        ...(key ? { key } : {}),
      });

      switch (active?.kind) {
        case 'internal':
          return sendError(res, 'InternalServerError');
        case 'throttle':
          return sendError(res, active.throttleAs ?? 'ProvisionedThroughputExceededException');
        case 'hang':
          // Held until the client's socket timeout closes it (or the proxy stops).
          held.add(res);
          res.once('close', () => held.delete(res));
          return;
        case 'slow':
          await new Promise((done) => setTimeout(done, active.delayMs ?? 500));
          break;
        default:
          break;
      }
      if (res.destroyed) return;
      const answer = await forward(req, body);
      if (active?.kind === 'lost-answer') return sendError(res, 'InternalServerError');
      const headers = { ...answer.headers };
      delete headers['transfer-encoding'];
      headers['content-length'] = String(answer.body.length);
      res.writeHead(answer.status, headers);
      res.end(answer.body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });

  const address = await new Promise<AddressInfo>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done(server.address() as AddressInfo));
  });

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    setFault(next) {
      fault = next;
      used = 0;
      matched = 0;
    },
    calls: () => [...seen],
    clearCalls() {
      seen.length = 0;
    },
    stop: () =>
      new Promise<void>((done) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
};
