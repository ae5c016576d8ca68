import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalPlugin } from '../plugin.js';

/**
 * A local stand-in for the AWS Parameters and Secrets Lambda Extension (the layer that serves
 * Secrets Manager and Parameter Store on `localhost:2773` inside a Lambda function), for the tests
 * and the runner. It speaks the extension's HTTP contract, which `shared/oidc/aws-secrets.ts`
 * relies on:
 * - `GET /secretsmanager/get?secretId=<ARN or name>` → GetSecretValue's JSON
 *   (`ARN`, `Name`, `VersionId`, `SecretString` or base64 `SecretBinary`, `VersionStages`, `CreatedDate`);
 * - `GET /systemsmanager/parameters/get?name=<name>[&withDecryption=true]` → GetParameter's JSON
 *   (`{ Parameter: { Name, Type, Value, Version, ARN, DataType, LastModifiedDate } }`); a
 *   SecureString without `withDecryption=true` comes back encrypted (here: a visible placeholder);
 * - the `X-Aws-Parameters-Secrets-Token` header must equal the session token (the extension's SSRF
 *   guard): missing or wrong → 401; an `X-Forwarded-For` header → 400, as the extension refuses
 *   proxied requests;
 * - an unknown secret or parameter → 400 with the service's error text (Secrets Manager and SSM
 *   answer 400 for ResourceNotFound / ParameterNotFound / AccessDenied, and the extension passes
 *   the status on); `deny` lists names that answer AccessDeniedException instead.
 * Values never appear in anything it logs (it logs nothing).
 */

export interface StandInSecret {
  /** The text (SecretString), or bytes (served as base64 SecretBinary). */
  value: string | Buffer;
  /** The secret's friendly name (default: the part of the ARN after `secret:`). */
  name?: string;
}

export interface StandInParameter {
  value: string;
  /** Default `SecureString`. */
  type?: 'String' | 'StringList' | 'SecureString';
}

export interface SecretsExtensionStandInOptions {
  /** The token the functions send (their `AWS_SESSION_TOKEN`). */
  sessionToken: string;
  /** Secrets by ARN. Each is also found by its name, as the extension finds them. */
  secrets?: Readonly<Record<string, StandInSecret>>;
  /** Parameters by name (`/fedgate/…`). */
  parameters?: Readonly<Record<string, StandInParameter>>;
  /** Secret ARNs/names or parameter names the pretend role may not read (AccessDeniedException). */
  deny?: readonly string[];
  /** Answer 500 to everything (the extension cannot reach the service). */
  failing?: boolean;
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
}

export interface SecretsExtensionStandIn {
  /** `http://127.0.0.1:<port>`: the port port's `endpoint`. */
  readonly endpoint: URL;
  readonly port: number;
  /** Requests served, for tests (paths and query names only, never values). */
  readonly requests: { path: string; tokenOk: boolean }[];
  /** Replace a secret's value (a rotation). */
  putSecret(arn: string, secret: StandInSecret): void;
  /** Replace a parameter's value. */
  putParameter(name: string, parameter: StandInParameter): void;
  setFailing(failing: boolean): void;
  close(): Promise<void>;
}

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

const send = (res: ServerResponse, status: number, body: unknown) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
};

const nameOf = (arn: string, secret: StandInSecret): string =>
  secret.name ?? arn.replace(/^.*:secret:/, '').replace(/-[A-Za-z0-9]{6}$/, '');

/**
 * Starts the stand-in on 127.0.0.1. Point the port at it with `endpoint` (or, for a function
 * reading its environment, `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` = `port`; the real extension
 * only listens on localhost too).
 * @example
 * const ext = await startSecretsExtensionStandIn({ sessionToken: 't', secrets: { [arn]: { value: 's3cret' } } });
 * const aws = createExtensionSecretPort({ sessionToken: 't', endpoint: ext.endpoint });
 */
export const startSecretsExtensionStandIn = async (
  opts: SecretsExtensionStandInOptions,
): Promise<SecretsExtensionStandIn> => {
  const secrets = new Map(Object.entries(opts.secrets ?? {}));
  const parameters = new Map(Object.entries(opts.parameters ?? {}));
  const deny = new Set(opts.deny ?? []);
  let failing = opts.failing ?? false;
  const requests: SecretsExtensionStandIn['requests'] = [];

  const findSecret = (id: string): [string, StandInSecret] | undefined => {
    const byArn = secrets.get(id);
    if (byArn) return [id, byArn];
    for (const [arn, s] of secrets) if (nameOf(arn, s) === id) return [arn, s];
    return undefined;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const token = req.headers['x-aws-parameters-secrets-token'];
    const tokenOk = token === opts.sessionToken;
    requests.push({ path: url.pathname, tokenOk });
    if (req.method !== 'GET') return send(res, 405, 'method not allowed');
    if (req.headers['x-forwarded-for'] !== undefined) {
      return send(res, 400, 'X-Forwarded-For is not allowed');
    }
    if (!tokenOk) return send(res, 401, 'Unauthorized: missing or invalid token');
    if (failing) return send(res, 500, 'Internal Server Error: the service cannot be reached');

    if (url.pathname === '/secretsmanager/get') {
      const id = url.searchParams.get('secretId') ?? '';
      if (!id) return send(res, 400, 'secretId is required');
      if (deny.has(id)) {
        return send(
          res,
          400,
          `AccessDeniedException: User: arn:aws:sts::${ACCOUNT}:assumed-role/fn-role/fn is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id}`,
        );
      }
      const found = findSecret(id);
      if (!found) {
        return send(
          res,
          400,
          "ResourceNotFoundException: Secrets Manager can't find the specified secret.",
        );
      }
      const [arn, secret] = found;
      return send(res, 200, {
        ARN: arn,
        Name: nameOf(arn, secret),
        VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
        ...(typeof secret.value === 'string'
          ? { SecretString: secret.value }
          : { SecretBinary: secret.value.toString('base64') }),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: '2026-01-01T00:00:00.000Z',
        ResultMetadata: {},
      });
    }
    if (url.pathname === '/systemsmanager/parameters/get') {
      const name = url.searchParams.get('name') ?? '';
      if (!name) return send(res, 400, 'name is required');
      if (deny.has(name)) {
        return send(
          res,
          400,
          `AccessDeniedException: User: arn:aws:sts::${ACCOUNT}:assumed-role/fn-role/fn is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`,
        );
      }
      const parameter = parameters.get(name);
      if (!parameter) return send(res, 400, 'ParameterNotFound: ');
      const type = parameter.type ?? 'SecureString';
      const decrypt = url.searchParams.get('withDecryption') === 'true';
      return send(res, 200, {
        Parameter: {
          ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`,
          DataType: 'text',
          LastModifiedDate: '2026-01-01T00:00:00.000Z',
          Name: name,
          Selector: null,
          SourceResult: null,
          Type: type,
          Value:
            type === 'SecureString' && !decrypt
              ? 'AQICAH-encrypted-by-the-stand-in'
              : parameter.value,
          Version: 1,
        },
        ResultMetadata: {},
      });
    }
    return send(res, 404, 'Not Found');
  };

  const server: Server = createServer(handle);
  await new Promise<void>((done) => server.listen(opts.port ?? 0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: new URL(`http://127.0.0.1:${port}`),
    port,
    requests,
    putSecret: (arn, secret) => {
      secrets.set(arn, secret);
    },
    putParameter: (name, parameter) => {
      parameters.set(name, parameter);
    },
    setFailing: (value) => {
      failing = value;
    },
    close: () =>
      new Promise<void>((done, fail) => {
        server.closeAllConnections();
        server.close((err) => (err ? fail(err) : done()));
      }),
  };
};

/**
 * The stand-in as a local runner plugin: it starts with the runner and gives the functions what a
 * Lambda function with the extension layer has, `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` and
 * `AWS_SESSION_TOKEN` (a random token here), so `arn:aws:secretsmanager:` and `ssm:` client
 * secret references in the gateway config resolve locally as in AWS. `standIn()` gives the running
 * stand-in (to put secrets) once the runner has started.
 * @example
 * const secrets = secretsExtensionStandIn({ secrets: { [arn]: { value: 's3cret' } } });
 * await startLocalGateway({ configPath, plugins: [...defaultPlugins(), secrets.plugin] });
 */
export const secretsExtensionStandIn = (
  opts: Omit<SecretsExtensionStandInOptions, 'sessionToken'> = {},
): { plugin: LocalPlugin; standIn(): SecretsExtensionStandIn } => {
  const sessionToken = randomBytes(24).toString('base64url');
  let running: SecretsExtensionStandIn | undefined;
  const plugin: LocalPlugin = {
    name: 'AWS Parameters and Secrets extension stand-in',
    prepare: async () => {
      running ??= await startSecretsExtensionStandIn({ ...opts, sessionToken });
      return undefined;
    },
    env: () => {
      if (!running) throw new Error('the secrets extension stand-in did not start');
      return {
        PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(running.port),
        AWS_SESSION_TOKEN: sessionToken,
      };
    },
    describe: () => [
      `secrets extension    ${running?.endpoint.href ?? '(not started)'} (Secrets Manager / SSM references)`,
    ],
    stop: async () => {
      await running?.close();
      running = undefined;
    },
  };
  return {
    plugin,
    standIn: () => {
      if (!running) throw new Error('the secrets extension stand-in has not started yet');
      return running;
    },
  };
};
