import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SecretsExtensionStandIn,
  startSecretsExtensionStandIn,
} from '../../../infra/local/aws/secrets-extension-stand-in.js';
import {
  createExtensionSecretPort,
  createSecretResolver,
  extensionSecretPortFromEnv,
  parseAwsSecretRef,
} from '../../../shared/oidc/index.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:fedgate/okta-AbCdEf';
const JSON_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:fedgate/entra-GhIjKl';
const BINARY_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:fedgate/bin-MnOpQr';
const DENIED_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:other/x-StUvWx';
const TOKEN = 'session-token-of-the-function';
const SECRET = 'okta-client-secret-value';

/** Runs `fn` and returns the thrown error's code and detail (or fails the test). */
const failure = async (fn: () => Promise<unknown>) => {
  try {
    await fn();
  } catch (err) {
    const e = err as { code?: string; detail?: string; message: string };
    return { code: e.code, text: `${e.message} ${e.detail ?? ''}` };
  }
  throw new Error('expected a failure');
};

describe('the secrets extension stand-in (the contract the port relies on)', () => {
  let ext: SecretsExtensionStandIn;
  beforeAll(async () => {
    ext = await startSecretsExtensionStandIn({
      sessionToken: TOKEN,
      secrets: { [ARN]: { value: SECRET } },
      parameters: { '/fedgate/p': { value: 'param-value' } },
    });
  });
  afterAll(() => ext.close());

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(new URL(path, ext.endpoint), { headers });

  it('answers GetSecretValue JSON by ARN and by name with the token header', async () => {
    for (const id of [ARN, 'fedgate/okta']) {
      const res = await get(`/secretsmanager/get?secretId=${encodeURIComponent(id)}`, {
        'X-Aws-Parameters-Secrets-Token': TOKEN,
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        ARN,
        Name: 'fedgate/okta',
        SecretString: SECRET,
        VersionStages: ['AWSCURRENT'],
      });
    }
  });

  it('answers GetParameter JSON, decrypted only with withDecryption=true', async () => {
    const headers = { 'X-Aws-Parameters-Secrets-Token': TOKEN };
    const plain = await get('/systemsmanager/parameters/get?name=/fedgate/p', headers);
    expect(((await plain.json()) as { Parameter: { Value: string } }).Parameter.Value).not.toBe(
      'param-value',
    );
    const decrypted = await get(
      '/systemsmanager/parameters/get?name=/fedgate/p&withDecryption=true',
      headers,
    );
    expect(await decrypted.json()).toMatchObject({
      Parameter: { Name: '/fedgate/p', Type: 'SecureString', Value: 'param-value' },
    });
  });

  it('refuses a missing or wrong token (401), a proxied request (400), unknown ids (400)', async () => {
    const path = `/secretsmanager/get?secretId=${encodeURIComponent(ARN)}`;
    expect((await get(path)).status).toBe(401);
    expect((await get(path, { 'X-Aws-Parameters-Secrets-Token': 'other' })).status).toBe(401);
    expect(
      (await get(path, { 'X-Aws-Parameters-Secrets-Token': TOKEN, 'X-Forwarded-For': '1.2.3.4' }))
        .status,
    ).toBe(400);
    const unknown = await get('/secretsmanager/get?secretId=nope', {
      'X-Aws-Parameters-Secrets-Token': TOKEN,
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toMatch(/ResourceNotFoundException/);
  });
});

describe('createExtensionSecretPort against the stand-in', () => {
  let ext: SecretsExtensionStandIn;
  beforeAll(async () => {
    ext = await startSecretsExtensionStandIn({
      sessionToken: TOKEN,
      secrets: {
        [ARN]: { value: `  ${SECRET}\n` },
        [JSON_ARN]: { value: JSON.stringify({ client_secret: 'from-json', other: 1 }) },
        [BINARY_ARN]: { value: Buffer.from('from-binary', 'utf8') },
        [DENIED_ARN]: { value: 'never' },
      },
      parameters: {
        '/fedgate/okta/secret': { value: 'from-ssm' },
        '/fedgate/empty': { value: '   ' },
      },
      deny: [DENIED_ARN],
    });
  });
  afterAll(() => ext.close());
  const port = (token: string | null = TOKEN) =>
    createExtensionSecretPort({ sessionToken: token ?? undefined, endpoint: ext.endpoint });

  it('resolves SecretString (trimmed), SecretBinary, a JSON key and an SSM SecureString', async () => {
    const aws = port();
    expect(await aws(ARN)).toBe(SECRET);
    expect(await aws(BINARY_ARN)).toBe('from-binary');
    expect(await aws(`${JSON_ARN}#client_secret`)).toBe('from-json');
    expect(await aws('ssm:/fedgate/okta/secret')).toBe('from-ssm');
    // Every request carried the function's token.
    expect(ext.requests.every((r) => r.tokenOk)).toBe(true);
  });

  it.each([
    [
      'an unknown secret',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:missing-AAAAAA',
      /GetSecretValue/,
    ],
    ['a secret the role may not read', DENIED_ARN, /AccessDeniedException.*GetSecretValue/],
    ['an unknown parameter', 'ssm:/fedgate/missing', /ssm:GetParameter/],
    ['an empty parameter', 'ssm:/fedgate/empty', /empty/],
    ['a JSON key the secret lacks', `${JSON_ARN}#nope`, /no string field "nope"/],
    ['a JSON key on a non-JSON secret', `${ARN}#k`, /not JSON/],
    ['a malformed reference', 'arn:aws:secretsmanager:eu-west-1:1:secret:x', /expected arn/],
    ['a relative ssm name', 'ssm:fedgate/x', /ssm:\//],
  ])('%s is server_error saying what to fix, without the value', async (_, ref, fix) => {
    const { code, text } = await failure(() => port()(ref));
    expect(code).toBe('server_error');
    expect(text).toMatch(fix);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('from-json');
    expect(text).not.toContain('never');
  });

  it('a refused token is server_error naming the token header', async () => {
    const { code, text } = await failure(() => port('wrong')(ARN));
    expect(code).toBe('server_error');
    expect(text).toMatch(/X-Aws-Parameters-Secrets-Token/);
  });

  it('no session token (not in Lambda) is server_error before any request', async () => {
    const before = ext.requests.length;
    expect((await failure(() => port(null)(ARN))).code).toBe('server_error');
    expect(ext.requests.length).toBe(before);
  });

  it('the extension failing (5xx) is temporarily_unavailable, and recovers', async () => {
    ext.setFailing(true);
    try {
      const { code, text } = await failure(() => port()(ARN));
      expect(code).toBe('temporarily_unavailable');
      expect(text).toMatch(/secrets-extension/);
    } finally {
      ext.setFailing(false);
    }
    expect(await port()(ARN)).toBe(SECRET);
  });

  it('through createSecretResolver: AWS references use the port and are cached', async () => {
    const resolve = createSecretResolver({ readEnv: () => undefined, aws: port() });
    const before = ext.requests.length;
    expect(await resolve('ssm:/fedgate/okta/secret')).toBe('from-ssm');
    expect(await resolve('ssm:/fedgate/okta/secret')).toBe('from-ssm');
    expect(ext.requests.length).toBe(before + 1);
  });
});

describe('createExtensionSecretPort: unreachable, slow and oversized extensions', () => {
  let server: Server;
  let endpoint: URL;
  let mode: 'slow' | 'huge' | 'throttle' = 'slow';
  beforeAll(async () => {
    server = createServer((_req, res) => {
      if (mode === 'slow') return void setTimeout(() => res.end('{}'), 2000);
      if (mode === 'throttle') {
        res.writeHead(429);
        return void res.end('Too Many Requests');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ SecretString: 'x'.repeat(300 * 1024) }));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    endpoint = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  it('no extension listening is temporarily_unavailable naming the layer', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const { port } = closed.address() as AddressInfo;
    await new Promise((done) => closed.close(done));
    const aws = createExtensionSecretPort({
      sessionToken: TOKEN,
      endpoint: new URL(`http://127.0.0.1:${port}`),
    });
    const { code, text } = await failure(() => aws(ARN));
    expect(code).toBe('temporarily_unavailable');
    expect(text).toMatch(/Parameters and Secrets Lambda Extension layer/);
  });

  it('a slow extension is temporarily_unavailable at the deadline', async () => {
    mode = 'slow';
    const aws = createExtensionSecretPort({ sessionToken: TOKEN, endpoint, timeoutMs: 200 });
    const started = Date.now();
    const { code } = await failure(() => aws(ARN));
    expect(code).toBe('temporarily_unavailable');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('throttling (429) is temporarily_unavailable', async () => {
    mode = 'throttle';
    const aws = createExtensionSecretPort({ sessionToken: TOKEN, endpoint });
    expect((await failure(() => aws(ARN))).code).toBe('temporarily_unavailable');
  });

  it('an answer over the cap is server_error', async () => {
    mode = 'huge';
    const aws = createExtensionSecretPort({ sessionToken: TOKEN, endpoint });
    const { code, text } = await failure(() => aws(ARN));
    expect(code).toBe('server_error');
    expect(text).toMatch(/over 262144 bytes/);
  });
});

describe('parseAwsSecretRef and extensionSecretPortFromEnv', () => {
  it('parses both kinds', () => {
    expect(parseAwsSecretRef(`${ARN}#k`)).toEqual({
      kind: 'secretsmanager',
      secretId: ARN,
      jsonKey: 'k',
    });
    expect(parseAwsSecretRef('ssm:/a/b')).toEqual({ kind: 'ssm', name: '/a/b' });
  });

  it('reads the port and the token from the environment', async () => {
    const ext = await startSecretsExtensionStandIn({
      sessionToken: TOKEN,
      secrets: { [ARN]: { value: SECRET } },
    });
    try {
      // The real extension listens on localhost only; so does the port built from env.
      const aws = extensionSecretPortFromEnv({
        AWS_SESSION_TOKEN: TOKEN,
        PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(ext.port),
      });
      expect(await aws(ARN)).toBe(SECRET);
    } finally {
      await ext.close();
    }
  });
});
