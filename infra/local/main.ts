/**
 * `npm start`: fedgate on this machine. Flags (or environment):
 *   --port N        (FEDGATE_PORT, default 8787; 0 picks a free one)
 *   --host H        (FEDGATE_HOST, default 127.0.0.1)
 *   --config FILE   (FEDGATE_CONFIG, default infra/local/demo-config.yaml)
 *   --db-path DIR   (FEDGATE_DB_PATH: keep the embedded DynamoDB on disk; default in memory)
 *   --dynalite      (use the pure-JS DynamoDB even where Java exists)
 *   --public-base-url URL    (FEDGATE_PUBLIC_BASE_URL: when runners share one public URL)
 *   --dynamodb-endpoint URL  (FEDGATE_DYNAMODB_ENDPOINT: use a running DynamoDB, e.g. another
 *                   runner's, instead of starting one: two runners then share one table)
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../../shared/config/index.js';
import { defaultPlugins } from './default-plugins.js';
import { startLocalGateway } from './gateway.js';

const { values } = parseArgs({
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
});

if (values.help) {
  console.log(
    'usage: npm start -- [--port 8787] [--host 127.0.0.1] [--config FILE] [--db-path DIR] [--dynalite] [--dynamodb-endpoint URL]',
  );
  process.exit(0);
}

const port = Number(values.port ?? process.env.FEDGATE_PORT ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error('fedgate: --port must be a port number');
  process.exit(2);
}

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
  console.error(err instanceof ConfigError ? `fedgate: ${err.message}` : err);
  process.exit(1);
}
