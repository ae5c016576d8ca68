/**
 * `npm start`: fedgate on this machine. Flags (or environment): see USAGE below. A bad flag, a
 * busy port or an invalid config file is one clear message and an exit code (2 for the command
 * line, 1 for anything else), never a stack trace; `FEDGATE_DEBUG=1` adds the stack of an
 * unexpected error.
 */
import { parseArgs } from 'node:util';

const USAGE = `usage: npm start -- [options]
  --port N                 FEDGATE_PORT, default 8787; 0 picks a free one
  --host H                 FEDGATE_HOST, default 127.0.0.1
  --config FILE            FEDGATE_CONFIG, default infra/local/demo-config.yaml
  --db-path DIR            FEDGATE_DB_PATH: keep the embedded DynamoDB on disk (default: memory)
  --dynalite               use the pure-JS DynamoDB even where Java exists
  --dynamodb-endpoint URL  FEDGATE_DYNAMODB_ENDPOINT: use a running DynamoDB (e.g. another
                           runner's) instead of starting one: the runners then share one table
  --public-base-url URL    FEDGATE_PUBLIC_BASE_URL: when runners share one public URL
  --help, -h               this text`;

/** Says what is wrong in one line (plus the lines of a config's problems) and exits. */
const fail = (code: 1 | 2, message: string): never => {
  process.stderr.write(`fedgate: ${message}\n`);
  process.exit(code);
};

/** node:util's parseArgs errors, as the one line a person needs. */
const describeArgsError = (err: NodeJS.ErrnoException): string => {
  const option = /'(-[^' ]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? err.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option ? `${option} needs a value` : err.message;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(err.message)?.[1] ?? ''} (flags start with --)`;
    default:
      return err.message;
  }
};

let values: {
  port?: string;
  host?: string;
  config?: string;
  'db-path'?: string;
  dynalite?: boolean;
  'dynamodb-endpoint'?: string;
  'public-base-url'?: string;
  help?: boolean;
};
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      'db-path': { type: 'string' },
      dynalite: { type: 'boolean', default: false },
      'dynamodb-endpoint': { type: 'string' },
      'public-base-url': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (err) {
  values = {};
  fail(2, `${describeArgsError(err as NodeJS.ErrnoException)}; npm start -- --help lists them`);
}

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const port = Number(values.port ?? process.env.FEDGATE_PORT ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  fail(2, '--port must be a port number (0-65535)');
}

// Loaded after the command line is checked: a mistyped flag answers at once.
const { ConfigError } = await import('../../shared/config/index.js');
const { defaultPlugins } = await import('./default-plugins.js');
const { startLocalGateway } = await import('./gateway.js');

try {
  const gateway = await startLocalGateway({
    port,
    host: values.host ?? process.env.FEDGATE_HOST ?? '127.0.0.1',
    configPath: values.config ?? process.env.FEDGATE_CONFIG ?? 'infra/local/demo-config.yaml',
    dbPath: values['db-path'] ?? process.env.FEDGATE_DB_PATH,
    engine: values.dynalite ? 'dynalite' : undefined,
    dynamoEndpoint: values['dynamodb-endpoint'] ?? process.env.FEDGATE_DYNAMODB_ENDPOINT,
    publicBaseUrl: values['public-base-url'] ?? process.env.FEDGATE_PUBLIC_BASE_URL,
    plugins: defaultPlugins(),
  });
  console.log(gateway.summary.join('\n'));
  console.log(`\nOpen ${gateway.url.origin}/ in a browser. Ctrl+C stops.`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void gateway.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (err) {
  // The runner stops what it started before it rethrows; what is left is saying why.
  if (err instanceof ConfigError) fail(1, err.message);
  const message = err instanceof Error ? err.message : String(err);
  if (process.env.FEDGATE_DEBUG && err instanceof Error && err.stack) {
    process.stderr.write(`${err.stack}\n`);
  }
  fail(1, message.split('\n')[0] ?? message);
}
