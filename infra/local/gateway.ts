import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import {
  buildEnvironment,
  type GatewayConfig,
  lintGatewayConfig,
} from '../../shared/config/index.js';
import { readStreamCapped } from '../../shared/http/capped-body.js';
import { createRouteMatcher } from '../../shared/http/router.js';
import { applyConfig } from '../../shared/store/index.js';
import { loadGatewayConfigFile } from '../config-file.js';
import { FUNCTIONS, type FunctionManifest, ROUTES } from '../manifest.js';
import {
  createLambdaContext,
  toApiGatewayEvent,
  writeApiGatewayResult,
} from './api-gateway-event.js';
import { type IamRefusal, startIamDynamoProxy } from './aws/iam-dynamodb.js';
import { type ContainerPool, createContainerPool } from './containers.js';
import { createTables, startEmbeddedDynamoDb } from './embedded-dynamodb.js';
import { ensureLocalKeyPair } from './keys.js';
import type { LocalContext, LocalPlugin } from './plugin.js';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

export interface LocalGatewayOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  configPath: string;
  /** Keep the embedded DynamoDB on disk here; in memory when absent. */
  dbPath?: string;
  /** Force the pure-JS DynamoDB (no Java needed). */
  engine?: 'dynamodb-local' | 'dynalite';
  /** `.local/` by default: generated keys and demo files. */
  workDir?: string;
  plugins?: readonly LocalPlugin[];
  /** Table names (defaults: fedgate-attributes, fedgate-state). */
  tables?: { attributeTableName: string; stateTableName: string };
  /** Use an already running DynamoDB (e.g. a second runner sharing one table) instead of starting one. */
  dynamoEndpoint?: string;
  region?: string;
  /**
   * The public base URL when it differs from where this runner listens (several runners behind
   * one URL, like Lambda containers behind one API): every published URL is built from it.
   */
  publicBaseUrl?: string;
  /**
   * The declarations the IAM stand-in enforces on the functions' DynamoDB calls (default
   * infra/manifest.ts; a test passes a changed one to see a refusal). Routes and functions always
   * come from infra/manifest.ts.
   */
  manifest?: Readonly<Record<string, FunctionManifest>>;
}

export interface LocalGateway {
  url: URL;
  config: GatewayConfig;
  /** The DynamoDB engine itself (what the admin CLI and tests use: no IAM in between). */
  dynamo: { endpoint: string; engine: string; notice?: string | undefined };
  /**
   * The IAM stand-in in front of it (infra/local/aws/iam-dynamodb.ts), where the functions' DynamoDB
   * client points: each function's calls are checked against its declaration in infra/manifest.ts.
   */
  iam: { endpoint: string; refusals(): IamRefusal[]; clearRefusals(): void };
  /** What is running where, for the start-up banner. */
  summary: string[];
  stop(): Promise<void>;
}

/** API Gateway HTTP API's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * A larger body is drained (not kept) so that the 413 reaches the client instead of a reset
 * connection; past this much it is not even drained: the connection is closed.
 */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** Reads a request body up to API Gateway's limit, draining a larger one so its 413 is heard. */
const readRequestBody = (req: IncomingMessage): Promise<Buffer> =>
  readStreamCapped(
    req,
    MAX_BODY_BYTES,
    () => Object.assign(new Error('payload too large'), { status: 413 }),
    { drainBytes: MAX_DRAIN_BYTES },
  );

const listen = (server: Server, port: number, host: string) =>
  new Promise<AddressInfo>((done, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${host} is in use: pass --port or set FEDGATE_PORT`)
          : err,
      ),
    );
    server.listen(port, host, () => done(server.address() as AddressInfo));
  });

/**
 * Runs fedgate on one machine: the same handlers the Lambda functions export, behind a server that
 * turns each HTTP request into the API Gateway v2 event the deployed function would get, with an
 * embedded DynamoDB seeded from a gateway config file, and plugins for what AWS and the upstream
 * IdPs provide in the cloud.
 */
export const startLocalGateway = async (opts: LocalGatewayOptions): Promise<LocalGateway> => {
  // The SDK's Node 20 deprecation notice is noise here (Lambda runs nodejs22.x).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // EMF metric lines are for CloudWatch; on one machine they would only bury the log lines.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const host = opts.host ?? '127.0.0.1';
  const workDir = resolve(opts.workDir ?? '.local');
  const plugins = opts.plugins ?? [];
  const tables = opts.tables ?? {
    attributeTableName: 'fedgate-attributes',
    stateTableName: 'fedgate-state',
  };
  const region = opts.region ?? 'us-east-1';

  // Listen first: plugins and the config need the real base URL (port 0 picks one). Until the
  // functions are loaded every request gets a 503 (as API Gateway answers while a function cannot
  // start), so none hangs or holds up a stop.
  let serve: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (serve) return serve(req, res);
    req.resume();
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end('{"message":"Service Unavailable"}');
  });
  const address = await listen(server, opts.port ?? 8787, host);
  const listenUrl = new URL(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
  const baseUrl = opts.publicBaseUrl ? new URL(new URL(opts.publicBaseUrl).origin) : listenUrl;
  const ctx: LocalContext = { baseUrl, listenUrl, workDir };
  const stops: (() => Promise<void>)[] = [() => new Promise((done) => server.close(() => done()))];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };

  try {
    const vars: Record<string, string> = { LOCAL_BASE_URL: baseUrl.origin };
    for (const plugin of plugins) Object.assign(vars, await plugin.prepare?.(ctx));
    for (const plugin of plugins)
      if (plugin.stop) stops.push(() => plugin.stop?.() ?? Promise.resolve());
    const config = await loadGatewayConfigFile(opts.configPath, vars);

    let dynamo: LocalGateway['dynamo'];
    if (opts.dynamoEndpoint) {
      dynamo = { endpoint: opts.dynamoEndpoint, engine: 'external' };
    } else {
      const db = await startEmbeddedDynamoDb({ dbPath: opts.dbPath, prefer: opts.engine });
      stops.push(() => db.stop());
      dynamo = { endpoint: db.endpoint, engine: db.engine, notice: db.notice };
    }
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await createTables(client, tables);
    await applyConfig(client, tables.attributeTableName, config);
    client.destroy();

    // What AWS IAM would refuse the functions, refused here too: each function's DynamoDB calls
    // against the role infra/cdk derives from its declaration.
    const iam = await startIamDynamoProxy({
      target: dynamo.endpoint,
      tables,
      region,
      ...(opts.manifest ? { manifest: opts.manifest } : {}),
    });
    stops.push(() => iam.stop());

    // fedgate's own signing key: generated once into .local/keys (KMS in AWS).
    const signing = await ensureLocalKeyPair(
      join(workDir, 'keys'),
      'fedgate-signing',
      'fedgate local signing key',
    );

    // The functions read their environment at import (cold start), exactly as in Lambda.
    Object.assign(process.env, {
      ...buildEnvironment({
        ...tables,
        publicBaseUrl: baseUrl.origin,
        configCacheSeconds: 5,
        signingKeyRefs: [`file:${signing.bundlePath}`],
      }),
      AWS_REGION: region,
      AWS_ENDPOINT_URL_DYNAMODB: iam.endpoint,
      // Local, visibly fake credentials for the embedded services; real AWS is never called.
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'LOCALFEDGATE',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local-not-a-secret',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    for (const plugin of plugins) Object.assign(process.env, plugin.env?.(ctx));
    // Each function in containers (./containers.ts): a request that arrives while another is in
    // a function gets a fresh instance of its module (`?container=N`), as Lambda would start one.
    const containers = new Map<string, ContainerPool<Handler>>();
    for (const fn of FUNCTIONS) {
      const file = new URL(`../../functions/${fn}.ts`, import.meta.url).href;
      const pool = await createContainerPool(async (n) => {
        // A specifier built at run time: bundlers and vitest leave it to the module loader.
        const specifier = n === 1 ? file : `${file}?container=${n}`;
        const mod = (await import(specifier)) as { handler: Handler };
        return mod.handler;
      });
      containers.set(fn, pool);
    }

    const match = createRouteMatcher(ROUTES);
    serve = (req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const url = req.url ?? '/';
        const path = url.split('?', 1)[0] ?? '/';
        try {
          const body = await readRequestBody(req);
          const plugin = plugins.find((p) => p.prefix && p.handle && path.startsWith(p.prefix));
          if (plugin?.handle) return await plugin.handle(req, res, body, ctx);
          const method = req.method ?? 'GET';
          const found = match(method, path);
          if (!found) {
            // API Gateway's own answer for an unknown route.
            res.writeHead(404, { 'content-type': 'application/json' });
            return res.end('{"message":"Not Found"}');
          }
          const event = toApiGatewayEvent({
            method,
            url,
            headers: req.headers,
            body,
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            routeKey: found.route.routeKey,
            pathParameters: found.pathParameters,
            domainName: baseUrl.host,
          });
          const pool = containers.get(found.route.fn) as ContainerPool<Handler>;
          const result = await pool.run((handler) =>
            handler(event, createLambdaContext(`fedgate-${found.route.fn}`)),
          );
          writeApiGatewayResult(res, result, method === 'HEAD');
        } catch (err) {
          // What API Gateway answers when a function throws: no detail, no stack.
          const status = (err as { status?: number }).status === 413 ? 413 : 500;
          if (status === 413)
            console.error(`local gateway: ${req.method} ${path}: body over 10 MB (413)`);
          else console.error(`local gateway: ${req.method} ${path} failed:`, err);
          if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
          res.end(
            status === 413
              ? '{"message":"Request Entity Too Large"}'
              : '{"message":"Internal Server Error"}',
          );
        }
      })();
    };

    for (const plugin of plugins) await plugin.started?.(ctx);

    const summary = [
      `fedgate local gateway  ${listenUrl.origin}/${listenUrl.origin === baseUrl.origin ? '' : ` (public base URL ${baseUrl.origin})`}`,
      `  DynamoDB             ${dynamo.engine} at ${dynamo.endpoint}${opts.dbPath ? ` (on disk: ${opts.dbPath})` : ' (in memory)'}`,
      ...(dynamo.notice ? [`                       ${dynamo.notice}`] : []),
      `  IAM stand-in         ${iam.endpoint}: each function's DynamoDB calls as its role in infra/manifest.ts allows`,
      `  tables               ${tables.attributeTableName}, ${tables.stateTableName}`,
      `  gateway config       ${opts.configPath} (${config.idps.length} IdPs, ${config.idps.reduce((n, i) => n + i.rules.length, 0)} rules, ${config.gatewayRules.length} gateway rule${config.gatewayRules.length === 1 ? '' : 's'})`,
      ...lintGatewayConfig(config).map((w) => `  warning              ${w.path}: ${w.message}`),
      `  routes               ${ROUTES.map((r) => r.routeKey).join(', ')}`,
      ...plugins.flatMap((p) => (p.describe?.(ctx) ?? []).map((line) => `  ${line}`)),
    ];
    return {
      url: listenUrl,
      config,
      dynamo,
      iam: {
        endpoint: iam.endpoint,
        refusals: () => iam.refusals(),
        clearRefusals: () => iam.clearRefusals(),
      },
      summary,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
};
