import { readResponseCapped } from '../http/capped-body.js';
import { DependencyUnavailableError, GatewayMisconfiguredError } from '../http/errors.js';
import type { AwsSecretPort } from './secrets.js';

/**
 * The `AwsSecretPort` over the **AWS Parameters and Secrets Lambda Extension** (a Lambda layer
 * that serves Secrets Manager and Parameter Store on localhost and caches them), so fedgate
 * resolves `arn:aws:secretsmanager:…` and `ssm:/…` references without bundling an SDK client.
 *
 * The extension's contract, as AWS documents it ("Use Secrets Manager secrets in Lambda
 * functions", "Using Parameter Store parameters in Lambda functions"):
 * - `GET http://localhost:<PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, default 2773>/secretsmanager/get?secretId=<ARN or name>`
 *   answers GetSecretValue's JSON: `{ ARN, Name, VersionId, SecretString | SecretBinary (base64), VersionStages, CreatedDate }`;
 * - `GET …/systemsmanager/parameters/get?name=<name>&withDecryption=true` answers GetParameter's
 *   JSON: `{ Parameter: { Name, Type, Value, Version, ARN, … } }`;
 * - every request carries `X-Aws-Parameters-Secrets-Token: <AWS_SESSION_TOKEN>` (an SSRF guard:
 *   without it the extension refuses);
 * - a refusal by the service (no such secret, AccessDenied, KMS cannot decrypt) comes back as a
 *   4xx (400 in practice, the service's status) with the service's message as the body; the
 *   extension's own trouble (cannot reach the service, throttled) as a 5xx.
 */

/** The extension's default port (`PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`). */
export const SECRETS_EXTENSION_DEFAULT_PORT = 2773;

/** The header the extension checks against the function's `AWS_SESSION_TOKEN`. */
export const SECRETS_EXTENSION_TOKEN_HEADER = 'X-Aws-Parameters-Secrets-Token';

/** A secret is at most 64 KiB; base64 (SecretBinary) and the JSON around it stay under this. */
const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;

/** localhost, and a cache in the extension: a healthy answer takes milliseconds. */
const DEFAULT_TIMEOUT_MS = 3000;

export interface ExtensionSecretPortOptions {
  /**
   * The function's `AWS_SESSION_TOKEN`: the extension compares its token header with it. Absent
   * (not in Lambda), every AWS reference is refused as a misconfiguration.
   */
  sessionToken: string | undefined;
  /** Where the extension listens (default `http://localhost:2773`; the stand-in in tests). */
  endpoint?: URL;
  /** Default global fetch. */
  fetch?: typeof fetch;
  /** Deadline over the whole exchange, body included (default 3000 ms). */
  timeoutMs?: number;
  /** Cap on the answer's bytes (default 256 KiB). */
  maxResponseBytes?: number;
}

/** A parsed AWS secret reference: what to ask the extension for, and how to read the answer. */
export type AwsSecretRef =
  | { kind: 'secretsmanager'; secretId: string; jsonKey?: string }
  | { kind: 'ssm'; name: string };

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^#]+$/;
const SSM_NAME = /^\/[A-Za-z0-9_.\-/]{1,2047}$/;

/**
 * Parses `arn:aws:secretsmanager:<region>:<account>:secret:<name>[#<json key>]` (the key picks one
 * field of a JSON secret, as the Secrets Manager console stores key/value secrets) and
 * `ssm:/<parameter name>` (a SecureString is decrypted).
 * @throws server_error (GatewayMisconfiguredError) for anything else.
 * @example parseAwsSecretRef('ssm:/fedgate/okta/client-secret') // { kind: 'ssm', name: '/fedgate/okta/client-secret' }
 */
export const parseAwsSecretRef = (ref: string): AwsSecretRef => {
  if (ref.startsWith('ssm:')) {
    const name = ref.slice(4);
    if (!SSM_NAME.test(name) || name.includes('//')) {
      throw new GatewayMisconfiguredError(
        'secret reference: ssm: must name a parameter path like ssm:/fedgate/okta/client-secret',
      );
    }
    return { kind: 'ssm', name };
  }
  const hash = ref.indexOf('#');
  const secretId = hash < 0 ? ref : ref.slice(0, hash);
  const jsonKey = hash < 0 ? undefined : ref.slice(hash + 1);
  if (!SECRET_ARN.test(secretId) || jsonKey === '') {
    throw new GatewayMisconfiguredError(
      'secret reference: expected arn:aws:secretsmanager:<region>:<account>:secret:<name>[#<json key>] or ssm:/<name>',
    );
  }
  return { kind: 'secretsmanager', secretId, ...(jsonKey !== undefined ? { jsonKey } : {}) };
};

/** The service's message, bounded and on one line (it names ARNs and actions, never a value). */
const messageOf = (text: string): string => {
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown; Message?: unknown };
    const m = parsed.message ?? parsed.Message;
    if (typeof m === 'string') message = m;
  } catch {
    // Not JSON: the extension answers errors as plain text.
  }
  return message
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .trim()
    .slice(0, 300);
};

const describe = (ref: AwsSecretRef): string =>
  ref.kind === 'ssm' ? `SSM parameter ${ref.name}` : `secret ${ref.secretId}`;

const fixFor = (ref: AwsSecretRef): string =>
  ref.kind === 'ssm'
    ? "check that the parameter exists in the function's region and account, and that the function's role may ssm:GetParameter it (and kms:Decrypt its key when a SecureString uses a customer managed key)"
    : "check that the secret exists in the function's region and account, and that the function's role may secretsmanager:GetSecretValue it (and kms:Decrypt its key when it uses a customer managed key)";

/** Reads at most `max` bytes of the body, or throws. */
const readCapped = async (response: Response, max: number, what: string): Promise<string> =>
  (
    await readResponseCapped(
      response,
      max,
      () => new GatewayMisconfiguredError(`${what}: the answer is over ${max} bytes`),
    )
  ).toString('utf8');

/** The value out of a 200 answer, per the reference's kind. Messages never quote the value. */
const valueFromAnswer = (ref: AwsSecretRef, text: string): string => {
  const what = describe(ref);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GatewayMisconfiguredError(`${what}: the secrets extension answered no JSON`);
  }
  let value: unknown;
  if (ref.kind === 'ssm') {
    value = (parsed as { Parameter?: { Value?: unknown } } | null)?.Parameter?.Value;
    if (typeof value !== 'string') {
      throw new GatewayMisconfiguredError(`${what}: the answer has no Parameter.Value`);
    }
  } else {
    const answer = parsed as { SecretString?: unknown; SecretBinary?: unknown } | null;
    if (typeof answer?.SecretString === 'string') value = answer.SecretString;
    else if (typeof answer?.SecretBinary === 'string') {
      value = Buffer.from(answer.SecretBinary, 'base64').toString('utf8');
    } else {
      throw new GatewayMisconfiguredError(
        `${what}: the answer has neither SecretString nor SecretBinary`,
      );
    }
    if (ref.jsonKey !== undefined) {
      let fields: unknown;
      try {
        fields = JSON.parse(value as string);
      } catch {
        throw new GatewayMisconfiguredError(
          `${what}: #${ref.jsonKey} needs a JSON secret, and this one is not JSON`,
        );
      }
      const field =
        fields !== null && typeof fields === 'object' && Object.hasOwn(fields, ref.jsonKey)
          ? (fields as Record<string, unknown>)[ref.jsonKey]
          : undefined;
      if (typeof field !== 'string') {
        throw new GatewayMisconfiguredError(`${what}: no string field "${ref.jsonKey}" in it`);
      }
      value = field;
    }
  }
  const trimmed = (value as string).trim();
  if (!trimmed) throw new GatewayMisconfiguredError(`${what}: the value is empty`);
  return trimmed;
};

/**
 * Creates the `AwsSecretPort` that asks the AWS Parameters and Secrets Lambda Extension. The
 * extension caches values itself; fedgate's resolver caches them again per container (see
 * `createSecretResolver`). Values are returned trimmed and never logged or quoted in errors.
 * @throws server_error (GatewayMisconfiguredError) for a malformed reference, no session token, a
 *   4xx (the secret or parameter does not exist, access is denied, the token header is refused:
 *   the detail says what to fix), an answer over the cap or without a value, an empty value.
 * @throws temporarily_unavailable (DependencyUnavailableError 'secrets-extension') when the
 *   extension does not answer in time, cannot be reached (the layer missing, or still starting),
 *   or answers 429/5xx.
 * @example
 * const aws = createExtensionSecretPort({ sessionToken: process.env.AWS_SESSION_TOKEN });
 * const resolve = createSecretResolver({ readEnv, aws });
 */
export const createExtensionSecretPort = (opts: ExtensionSecretPortOptions): AwsSecretPort => {
  const endpoint = opts.endpoint ?? new URL(`http://localhost:${SECRETS_EXTENSION_DEFAULT_PORT}`);
  const fetchImpl = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  return async (raw) => {
    const ref = parseAwsSecretRef(raw);
    const what = describe(ref);
    if (!opts.sessionToken) {
      throw new GatewayMisconfiguredError(
        `${what}: no AWS_SESSION_TOKEN for the secrets extension's token header (AWS references resolve in Lambda only; use env: or file: elsewhere)`,
      );
    }
    const url =
      ref.kind === 'ssm'
        ? new URL('/systemsmanager/parameters/get', endpoint)
        : new URL('/secretsmanager/get', endpoint);
    if (ref.kind === 'ssm') {
      url.searchParams.set('name', ref.name);
      url.searchParams.set('withDecryption', 'true');
    } else {
      url.searchParams.set('secretId', ref.secretId);
    }
    const unavailable = (detail: string, cause?: unknown) =>
      new DependencyUnavailableError(
        'secrets-extension',
        `${what}: ${detail}`,
        cause === undefined ? undefined : { cause },
      );

    let response: Response;
    let text: string;
    try {
      const signal = AbortSignal.timeout(timeoutMs);
      response = await fetchImpl(url, {
        headers: { [SECRETS_EXTENSION_TOKEN_HEADER]: opts.sessionToken },
        signal,
        redirect: 'error',
      });
      text = await readCapped(response, maxBytes, what);
    } catch (err) {
      if (err instanceof GatewayMisconfiguredError) throw err;
      const name = (err as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw unavailable(`the secrets extension did not answer within ${timeoutMs} ms`, err);
      }
      throw unavailable(
        `the secrets extension at ${endpoint.host} cannot be reached (is the AWS Parameters and Secrets Lambda Extension layer attached?)`,
        err,
      );
    }

    const { status } = response;
    if (status === 200) return valueFromAnswer(ref, text);
    const said = messageOf(text);
    const quoted = said ? `: "${said}"` : '';
    if (status === 429 || status >= 500) {
      throw unavailable(`the secrets extension answered ${status}${quoted}`);
    }
    if (status === 401 || status === 403) {
      throw new GatewayMisconfiguredError(
        `${what}: the secrets extension refused the request (${status})${quoted}; it checks the ${SECRETS_EXTENSION_TOKEN_HEADER} header against AWS_SESSION_TOKEN`,
      );
    }
    throw new GatewayMisconfiguredError(`${what}: refused (${status})${quoted}; ${fixFor(ref)}`);
  };
};

/**
 * The port as a Lambda function builds it from its environment: `AWS_SESSION_TOKEN` and
 * `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` (default 2773). Reads nothing else.
 * @example createSecretResolver({ readEnv, aws: extensionSecretPortFromEnv(process.env) })
 */
export const extensionSecretPortFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
  fetchImpl?: typeof fetch,
): AwsSecretPort => {
  const raw = env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT;
  const port = raw && /^\d{1,5}$/.test(raw) ? Number(raw) : SECRETS_EXTENSION_DEFAULT_PORT;
  return createExtensionSecretPort({
    sessionToken: env.AWS_SESSION_TOKEN,
    endpoint: new URL(`http://localhost:${port}`),
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
};
