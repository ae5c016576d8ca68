import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  dynamoStatementsOf,
  FUNCTION_USER_AGENT,
  type FunctionManifest,
  MANIFEST,
  type TableRole,
} from '../../manifest.js';

/**
 * IAM in front of the local runner's DynamoDB: what AWS would answer a function whose role is the
 * one infra/cdk derives from infra/manifest.ts. The caller's function comes from the user agent
 * its clients carry (functions/compose: `fedgate-fn/<name>`); the request is read as IAM reads
 * it (the action from `X-Amz-Target`, the table, the partition key of every item the call names),
 * and checked against the same statements the CDK app writes into the role
 * (`dynamoStatementsOf`): an action of the statement, its table, and for a statement with key
 * prefixes (every state-table statement, the attribute table's directory items: `DIR#*`)
 * `ForAllValues:StringLike` on `dynamodb:LeadingKeys`. So a scim write outside `DIR#` is refused
 * here as in AWS, and a sign-in function's write to the directory too. An undeclared call gets DynamoDB's own
 * answer to a missing grant (400 `AccessDeniedException`), which fedgate turns into a
 * `server_error`. Calls without a function's user agent (the admin CLI, the tests, seeding the
 * config) pass unchecked, as an administrator's would.
 */

/** One authorization IAM makes for a DynamoDB call: an action on a table with the keys it names. */
export interface DynamoAuthorization {
  /** `dynamodb:PutItem`… (a transaction's items are authorized by their own actions, as in IAM). */
  action: string;
  /** The table's name (a table ARN is reduced to it; an index keeps its `/index/` suffix). */
  table: string;
  /** `dynamodb:LeadingKeys`: the partition key of every item the call names (empty for a Scan). */
  leadingKeys: string[];
}

type Json = Record<string, unknown>;
type Item = Record<string, { S?: unknown; N?: unknown; B?: unknown } | undefined>;

/** The partition key attribute of both tables (shared/store/table-schema.ts). */
const PARTITION_KEY = 'pk';

const objectOf = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const arrayOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A key's partition value as IAM compares it: the string (a non-string key never matches). */
const leadingKeyOf = (item: unknown): string => {
  const pk = (objectOf(item) as Item)[PARTITION_KEY];
  return typeof pk?.S === 'string' ? pk.S : '\u0000(no string partition key)';
};

/** `arn:aws:dynamodb:<region>:<account>:table/<name>[/index/<index>]` or a plain name → name. */
const tableNameOf = (raw: unknown): string => {
  const name = typeof raw === 'string' ? raw : '';
  const arn = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/(.+)$/.exec(name);
  return arn ? (arn[1] as string) : name;
};

/** The partition key value a Query's key condition names (`pk = :v` or `#k = :v`), if readable. */
const queryLeadingKey = (body: Json): string => {
  const names = objectOf(body.ExpressionAttributeNames);
  const values = objectOf(body.ExpressionAttributeValues) as Item;
  const expression =
    typeof body.KeyConditionExpression === 'string' ? body.KeyConditionExpression : '';
  for (const m of expression.matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    const name = (m[1] as string).startsWith('#') ? names[m[1] as string] : m[1];
    if (name === PARTITION_KEY) return leadingKeyOf({ [PARTITION_KEY]: values[m[2] as string] });
  }
  const legacy = objectOf(objectOf(body.KeyConditions)[PARTITION_KEY]);
  if (legacy.ComparisonOperator === 'EQ') {
    return leadingKeyOf({ [PARTITION_KEY]: arrayOf(legacy.AttributeValueList)[0] });
  }
  return '\u0000(no partition key condition)';
};

/**
 * What IAM authorizes for one DynamoDB request: the operation (`X-Amz-Target` without its
 * version prefix) and the JSON body. A batch is one authorization per table with every key of
 * that table; a transaction one per item, under the item's own action (TransactWriteItems needs
 * PutItem, UpdateItem, DeleteItem, ConditionCheckItem). A Query or Scan also counts its
 * `ExclusiveStartKey`, which is stricter than IAM may be: the stand-in refuses rather than guess.
 * Any other operation names its table (or `*`) and no keys.
 */
export const readDynamoRequest = (operation: string, body: unknown): DynamoAuthorization[] => {
  const b = objectOf(body);
  const action = `dynamodb:${operation}`;
  const table = tableNameOf(b.TableName);
  const startKey = b.ExclusiveStartKey === undefined ? [] : [leadingKeyOf(b.ExclusiveStartKey)];
  switch (operation) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      return [{ action, table, leadingKeys: [leadingKeyOf(b.Key)] }];
    case 'PutItem':
      return [{ action, table, leadingKeys: [leadingKeyOf(b.Item)] }];
    case 'Query':
      return [{ action, table, leadingKeys: [queryLeadingKey(b), ...startKey] }];
    case 'Scan':
      return [{ action, table, leadingKeys: startKey }];
    case 'BatchGetItem':
      return Object.entries(objectOf(b.RequestItems)).map(([name, request]) => ({
        action,
        table: tableNameOf(name),
        leadingKeys: arrayOf(objectOf(request).Keys).map(leadingKeyOf),
      }));
    case 'BatchWriteItem':
      return Object.entries(objectOf(b.RequestItems)).map(([name, requests]) => ({
        action,
        table: tableNameOf(name),
        leadingKeys: arrayOf(requests).map((r) => {
          const { PutRequest, DeleteRequest } = objectOf(r);
          return PutRequest !== undefined
            ? leadingKeyOf(objectOf(PutRequest).Item)
            : leadingKeyOf(objectOf(DeleteRequest).Key);
        }),
      }));
    case 'TransactGetItems':
      return arrayOf(b.TransactItems).map((t) => {
        const get = objectOf(objectOf(t).Get);
        return {
          action: 'dynamodb:GetItem',
          table: tableNameOf(get.TableName),
          leadingKeys: [leadingKeyOf(get.Key)],
        };
      });
    case 'TransactWriteItems':
      return arrayOf(b.TransactItems).map((t) => {
        const { Put, Update, Delete, ConditionCheck } = objectOf(t);
        const [kind, part] =
          Put !== undefined
            ? (['PutItem', objectOf(Put)] as const)
            : Update !== undefined
              ? (['UpdateItem', objectOf(Update)] as const)
              : Delete !== undefined
                ? (['DeleteItem', objectOf(Delete)] as const)
                : (['ConditionCheckItem', objectOf(ConditionCheck)] as const);
        return {
          action: `dynamodb:${kind}`,
          table: tableNameOf(part.TableName),
          leadingKeys: [leadingKeyOf(kind === 'PutItem' ? part.Item : part.Key)],
        };
      });
    default:
      return [{ action, table: table || '*', leadingKeys: [] }];
  }
};

/** IAM's `StringLike`: `*` any run of characters, `?` one, case-sensitive. */
const stringLike = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) =>
        c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
      )
      .join('')}$`,
  ).test(value);

/** The runner's table names, for the statements' `attributes` / `state` tables. */
export interface StandInTables {
  attributeTableName: string;
  stateTableName: string;
}

/**
 * Whether a function's declaration allows one authorization, evaluated as IAM evaluates the role
 * CDK derives from it: some statement lists the action, names the table, and (a statement with
 * key prefixes) every leading key matches one of its `ForAllValues:StringLike` patterns; an empty key set satisfies
 * `ForAllValues` as in IAM, which is why Scan and Query are never granted on the state table.
 * @example isAllowed(MANIFEST.home, tables, { action: 'dynamodb:PutItem', table: 'fedgate-state', leadingKeys: ['SESSION#x'] }) // false
 */
export const isAllowed = (
  manifest: FunctionManifest,
  tables: StandInTables,
  request: DynamoAuthorization,
): boolean => {
  const nameOf: Record<TableRole, string> = {
    attributes: tables.attributeTableName,
    state: tables.stateTableName,
  };
  return dynamoStatementsOf(manifest).some(
    (s) =>
      s.actions.includes(request.action) &&
      nameOf[s.table] === request.table &&
      (s.leadingKeys === undefined ||
        request.leadingKeys.every((key) =>
          (s.leadingKeys ?? []).some((pattern) => stringLike(pattern, key)),
        )),
  );
};

/**
 * The function a request comes from, by its user agent (`fedgate-fn/<name>` in
 * `x-amz-user-agent` or `user-agent`): `undefined` without one (not a function: passes), the
 * name, or `null` when the agent names two (refused: whose grant would it be?).
 */
export const functionOfUserAgent = (headers: IncomingHttpHeaders): string | undefined | null => {
  const names = new Set<string>();
  for (const header of ['x-amz-user-agent', 'user-agent'] as const) {
    for (const token of String(headers[header] ?? '').split(/\s+/)) {
      if (token.startsWith(`${FUNCTION_USER_AGENT}/`)) {
        names.add(token.slice(FUNCTION_USER_AGENT.length + 1));
      }
    }
  }
  if (names.size > 1) return null;
  return names.values().next().value;
};

/** A call the stand-in refused. Keys are shown by kind only (`SESSION#`): ids may be secrets' hashes. */
export interface IamRefusal {
  /** The function the user agent names (`null`: it named two). */
  fn: string | null;
  action: string;
  table: string;
  /** The kinds of the keys no statement allowed (`SESSION#`), or empty for a key-less refusal. */
  keyKinds: string[];
}

/** The IAM stand-in as a loopback HTTP proxy in front of a DynamoDB endpoint. */
export interface IamDynamoProxy {
  /** `http://127.0.0.1:<port>`: the functions' `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpoint: string;
  /** Every refusal since start (or the last clear), oldest first. */
  refusals(): IamRefusal[];
  clearRefusals(): void;
  stop(): Promise<void>;
}

export interface IamDynamoProxyOptions {
  /** The DynamoDB behind it, `http://127.0.0.1:<port>`. */
  target: string;
  tables: StandInTables;
  /** Whose declarations apply (default infra/manifest.ts `MANIFEST`; tests pass a changed one). */
  manifest?: Readonly<Record<string, FunctionManifest>>;
  /** For the denial message's ARNs (default us-east-1). */
  region?: string;
  /** Where a refusal is reported (default stderr): a refused call is a finding, not noise. */
  report?: (line: string) => void;
}

const JSON_TYPE = 'application/x-amz-json-1.0';
const LOCAL_ACCOUNT = '000000000000';

const kindOf = (key: string): string => {
  const hash = key.indexOf('#');
  return hash < 0 ? '(no prefix)' : key.slice(0, hash + 1);
};

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => done(Buffer.concat(chunks)));
    req.on('error', fail);
  });

/**
 * Starts the IAM stand-in on 127.0.0.1 (a free port) in front of `target`.
 * @example
 * const iam = await startIamDynamoProxy({ target: db.endpoint, tables });
 * process.env.AWS_ENDPOINT_URL_DYNAMODB = iam.endpoint;
 */
export const startIamDynamoProxy = async (opts: IamDynamoProxyOptions): Promise<IamDynamoProxy> => {
  const upstream = new URL(opts.target);
  const manifest: Readonly<Record<string, FunctionManifest>> = opts.manifest ?? MANIFEST;
  const region = opts.region ?? 'us-east-1';
  const report = opts.report ?? ((line: string) => console.error(line));
  const refusals: IamRefusal[] = [];

  /** The first authorization the caller's declaration does not allow, if any. */
  const refusalOf = (
    fn: string | null,
    operation: string,
    body: Buffer,
  ): IamRefusal | undefined => {
    let requests: DynamoAuthorization[];
    try {
      requests = readDynamoRequest(operation, JSON.parse(body.toString('utf8')));
    } catch {
      requests = [{ action: `dynamodb:${operation}`, table: '*', leadingKeys: [] }];
    }
    const declared = fn === null || !Object.hasOwn(manifest, fn) ? undefined : manifest[fn];
    for (const request of requests) {
      if (declared && isAllowed(declared, opts.tables, request)) continue;
      const kinds = request.leadingKeys.filter(
        (key) => !declared || !isAllowed(declared, opts.tables, { ...request, leadingKeys: [key] }),
      );
      return {
        fn,
        action: request.action,
        table: request.table,
        keyKinds: [...new Set(kinds.map(kindOf))],
      };
    }
    return undefined;
  };

  const refuse = (res: ServerResponse, refusal: IamRefusal) => {
    const role = `fedgate-local-${refusal.fn ?? 'unknown'}`;
    const resource =
      refusal.table === '*'
        ? '*'
        : `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${refusal.table}`;
    // DynamoDB's wording for a call no identity-based policy allows.
    const body = JSON.stringify({
      __type: 'com.amazon.coral.service#AccessDeniedException',
      message: `User: arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${role}/${role} is not authorized to perform: ${refusal.action} on resource: ${resource} because no identity-based policy allows the ${refusal.action} action`,
    });
    res.writeHead(400, {
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(body);
  };

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) =>
    new Promise<void>((done, fail) => {
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', done);
          answer.on('error', fail);
        },
      );
      out.on('error', fail);
      out.end(body);
    });

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const fn = functionOfUserAgent(req.headers);
      if (fn !== undefined) {
        const target = String(req.headers['x-amz-target'] ?? '');
        const refusal = refusalOf(fn, target.slice(target.indexOf('.') + 1), body);
        if (refusal) {
          refusals.push(refusal);
          report(
            `iam stand-in: refused ${refusal.fn ?? '(two functions)'} ${refusal.action} on ${refusal.table}` +
              `${refusal.keyKinds.length > 0 ? ` (${refusal.keyKinds.join(', ')})` : ''}: not declared in infra/manifest.ts`,
          );
          return refuse(res, refusal);
        }
      }
      await forward(req, body, res);
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
    refusals: () => [...refusals],
    clearRefusals() {
      refusals.length = 0;
    },
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
};
