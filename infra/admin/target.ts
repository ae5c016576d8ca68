import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ENV } from '../../shared/config/index.js';
import { DYNAMODB_CLIENT_DEFAULTS } from '../../shared/store/index.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/embedded-dynamodb.js';
import { UsageError } from './errors.js';

/** What a command may read from and write to the outside world: injected so tests can run `main`. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths are resolved against it. */
  cwd: string;
  fetch: typeof fetch;
  /**
   * Asks a person one question and resolves their answer line. Present only when someone can
   * answer (stdin and stderr are terminals): a script or a pipe never gets asked, it needs --yes.
   */
  ask?: (question: string) => Promise<string>;
}

/** The attribute table the local runner (`npm start`) creates. */
export const LOCAL_ATTRIBUTE_TABLE = 'fedgate-attributes';

/** The environment variables the CLI reads (besides the AWS SDK's own). */
export const CLI_ENV = {
  /** The same variable the functions read: the attribute table's name. */
  table: ENV.attributeTableName,
  /** The same variable `npm start` reads for an external DynamoDB. */
  endpoint: 'FEDGATE_DYNAMODB_ENDPOINT',
  /** The AWS SDK's own per-service endpoint variable. */
  sdkEndpoint: 'AWS_ENDPOINT_URL_DYNAMODB',
} as const;

/** A gateway config file. */
export interface FileTarget {
  kind: 'file';
  /** Absolute path. */
  path: string;
  describe: string;
}

/** An attribute table: a real one in AWS or the local runner's. */
export interface TableTarget {
  kind: 'table';
  tableName: string;
  endpoint?: string;
  client: DynamoDBClient;
  describe: string;
}

export type Target = FileTarget | TableTarget;

/** The options every command that reads or writes a config takes. */
export const TARGET_OPTIONS = {
  config: { type: 'string' },
  table: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
} as const;

export interface TargetValues {
  config?: string | undefined;
  table?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const parseEndpoint = (value: string, command: string): URL => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--endpoint: not a URL: ${JSON.stringify(value)}`, command);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError('--endpoint: must be an http(s) URL', command);
  }
  return url;
};

/**
 * Where a command works: `--config FILE`, or a table (`--table NAME`, `--endpoint URL`, or the
 * environment). A loopback endpoint is the local runner's DynamoDB: it gets the runner's visibly
 * fake credentials and, unless named, its table `fedgate-attributes`. Anything else uses the AWS
 * SDK's own credential chain and region (`AWS_REGION`, `AWS_PROFILE`, …), and needs a table name.
 * @throws UsageError for conflicting or missing target options.
 */
export const resolveTarget = async (
  values: TargetValues,
  io: CliIo,
  command: string,
  { allowFile = true, resolvePath }: { allowFile?: boolean; resolvePath: (p: string) => string },
): Promise<Target> => {
  const explicitTable = values.table !== undefined || values.endpoint !== undefined;
  if (values.config !== undefined) {
    if (!allowFile) throw new UsageError('--config is not accepted here', command);
    if (explicitTable) {
      throw new UsageError(
        'give either --config FILE or a table (--table/--endpoint), not both',
        command,
      );
    }
    const path = resolvePath(values.config);
    return { kind: 'file', path, describe: `config file ${values.config}` };
  }
  const endpointText =
    values.endpoint ?? io.env[CLI_ENV.endpoint] ?? io.env[CLI_ENV.sdkEndpoint] ?? undefined;
  const endpoint = endpointText ? parseEndpoint(endpointText, command) : undefined;
  const isLocal = endpoint !== undefined && LOOPBACK.has(endpoint.hostname);
  const tableName =
    values.table ?? io.env[CLI_ENV.table] ?? (isLocal ? LOCAL_ATTRIBUTE_TABLE : undefined);
  if (tableName === undefined) {
    throw new UsageError(
      allowFile
        ? `give --config FILE, or a table: --table NAME (or $${CLI_ENV.table}), or --endpoint URL for the local runner`
        : `give a table: --table NAME (or $${CLI_ENV.table}), or --endpoint URL for the local runner`,
      command,
    );
  }
  if (!TABLE_NAME.test(tableName)) {
    throw new UsageError(
      `--table: not a DynamoDB table name: ${JSON.stringify(tableName)}`,
      command,
    );
  }
  const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const client = new DynamoDBClient({
    ...DYNAMODB_CLIENT_DEFAULTS,
    ...(endpoint ? { endpoint: endpoint.href } : {}),
    ...(isLocal
      ? { region: region ?? LOCAL_REGION, credentials: LOCAL_CREDENTIALS }
      : region
        ? { region }
        : {}),
  });
  if (!isLocal) {
    // The SDK would only say "Region is missing" on the first call, as a stack trace.
    try {
      await client.config.region();
    } catch {
      client.destroy();
      throw new UsageError(
        'no AWS region: set AWS_REGION (or AWS_PROFILE with a region), or pass --region',
        command,
      );
    }
  }
  return {
    kind: 'table',
    tableName,
    ...(endpoint ? { endpoint: endpoint.origin } : {}),
    client,
    describe: `table ${tableName}${endpoint ? ` at ${endpoint.origin}` : ''}`,
  };
};
