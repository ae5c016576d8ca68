import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { exportJWK, generateKeyPair as generateJoseKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { calculatePKCECodeChallenge, randomPKCECodeVerifier } from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcIdpConfig, parseGatewayConfig } from '../../../shared/config/index.js';
import { loadSigningKeys } from '../../../shared/issuer/index.js';
import {
  type ClientAuthenticator,
  createClientAuthenticator,
  createOidcClient,
  createSecretResolver,
} from '../../../shared/oidc/index.js';
import { createTestKeyPair } from '../../kit/keys.js';
import { createFakeKmsKey, installFakeKms, kmsError } from '../../support/issuer/kms-mock.js';

const REDIRECT = 'https://sso.example.com/oidc/corp/callback';

/**
 * private_key_jwt against oidc-provider as the real OP: the client is registered with
 * `token_endpoint_auth_method: private_key_jwt` and the JWKS fedgate publishes for it
 * (`GET /oidc/{idp}/jwks.json`), and codes are redeemed by fedgate's OIDC client (client.ts)
 * with the `ClientAuth` of shared/oidc/client-auth.ts, its key a `file:` PEM bundle loaded by the
 * issuer's `loadSigningKeys`, or a `kms:alias` key behind a fake KMS. The authorization step is the OP's
 * own model (a code for a granted person): what is under test is the token request.
 */
describe('private_key_jwt client authentication against oidc-provider', () => {
  const dir = resolve('.local', `test-private-key-jwt-${process.pid}`);
  let server: Server;
  let issuer: string;
  let provider: Provider;
  let good: ClientAuthenticator;
  let idp: OidcIdpConfig;
  const KMS_ALIAS = 'alias/fedgate/corp-client';
  const kms = mockClient(KMSClient);
  let kmsIdp: OidcIdpConfig;
  let viaKms: ClientAuthenticator;
  const readText = (p: string) => readFile(p, 'utf8');

  const authenticator = (opts: { clock?: () => number } = {}) =>
    createClientAuthenticator({
      resolveSecret: createSecretResolver({ readEnv: () => undefined }),
      loadKeys: (ref) => loadSigningKeys({ refs: [ref], readFile: readText }),
      ...opts,
    });

  const idpFor = (keyRef: string, clientId = 'fedgate') =>
    parseGatewayConfig({
      version: 1,
      idps: [
        {
          id: 'corp',
          displayName: 'Corp',
          protocol: 'oidc',
          oidc: { issuer, clientId, clientAuth: { method: 'private_key_jwt', keyRef } },
        },
      ],
    } as never).idps[0] as OidcIdpConfig;

  /** A code the OP issued to `fedgate` for alice, as its authorization endpoint would. */
  const issueCode = async (nonce: string, verifier: string, clientId: string) => {
    // The OP's models (oidc-provider's typings leave them out).
    const models = provider as unknown as {
      Client: { find(id: string): Promise<unknown> };
      AuthorizationCode: new (payload: object) => { save(): Promise<string> };
    };
    const client = await models.Client.find(clientId);
    const grant = new provider.Grant({ clientId, accountId: 'alice' });
    grant.addOIDCScope('openid');
    const grantId = await grant.save();
    const code = new models.AuthorizationCode({
      client,
      accountId: 'alice',
      grantId,
      scope: 'openid',
      redirectUri: REDIRECT,
      nonce,
      codeChallenge: await calculatePKCECodeChallenge(verifier),
      codeChallengeMethod: 'S256',
      authTime: Math.floor(Date.now() / 1000),
    });
    return code.save();
  };

  /**
   * fedgate's own OIDC client (client.ts) with this authenticator, as the functions run it: the
   * authorization URL (discovery, as at login; the key is not touched yet), then the code the OP
   * issued redeemed with the client assertion.
   */
  const signIn = async (auth: ClientAuthenticator, forIdp: OidcIdpConfig = idp) => {
    const client = createOidcClient({
      fetch,
      resolveSecret: createSecretResolver({ readEnv: () => undefined }),
      clientAuth: auth,
      clockSkewSeconds: 0,
    });
    const nonce = randomBytes(16).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const verifier = randomPKCECodeVerifier();
    await client.authorizationUrl(forIdp, {
      redirectUri: REDIRECT,
      state,
      nonce,
      codeVerifier: verifier,
    });
    const code = await issueCode(nonce, verifier, forIdp.oidc.clientId);
    const callbackUrl = new URL(REDIRECT);
    callbackUrl.search = new URLSearchParams({ code, state, iss: issuer }).toString();
    return client.redeem(forIdp, { callbackUrl, state, nonce, codeVerifier: verifier });
  };

  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    for (const name of ['client', 'other']) {
      const { privateKeyPem, certificatePem } = await createTestKeyPair(`fedgate ${name}`);
      await writeFile(join(dir, `${name}.pem`), `${privateKeyPem}${certificatePem}`, {
        mode: 0o600,
      });
    }
    server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    idp = idpFor(`file:${join(dir, 'client.pem')}`);
    good = authenticator();
    // What the operator registers at the IdP: fedgate's JWKS for this client.
    const clientJwks = await good.jwks(idp);
    // The same through KMS: a fake KMS (aws-sdk-client-mock) holding the key behind an alias.
    kms.reset();
    installFakeKms(kms, [createFakeKmsKey(KMS_ALIAS)]);
    kmsIdp = idpFor(`kms:${KMS_ALIAS}`, 'fedgate-kms');
    viaKms = createClientAuthenticator({
      resolveSecret: createSecretResolver({ readEnv: () => undefined }),
      loadKeys: (ref) => loadSigningKeys({ refs: [ref], kms: new KMSClient({}) }),
    });
    const kmsJwks = await viaKms.jwks(kmsIdp);
    const { privateKey } = await generateJoseKeyPair('RS256', { extractable: true });
    provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'fedgate',
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'RS256',
          jwks: clientJwks as never,
          redirect_uris: [REDIRECT],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
        {
          client_id: 'fedgate-kms',
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'RS256',
          jwks: kmsJwks as never,
          redirect_uris: [REDIRECT],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'op-key', alg: 'RS256' }] },
      pkce: { required: () => true },
      ttl: { Grant: 600, AccessToken: 300, IdToken: 300, AuthorizationCode: 60 },
      features: { devInteractions: { enabled: false } },
      findAccount: (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: async () => ({ sub: id }),
      }),
    } as never);
    server.on('request', provider.callback());
  });

  afterAll(async () => {
    kms.restore();
    server?.closeAllConnections();
    await new Promise((done) => server?.close(done));
    await rm(dir, { recursive: true, force: true });
  });

  it('redeems a code with the signed client assertion: the ID token for alice comes back', async () => {
    const claims = await signIn(good);
    expect(claims?.sub).toBe('alice');
    expect(claims?.aud).toBe('fedgate');
    expect(claims?.iss).toBe(issuer);
  });

  it('with a kms:alias key (Sign through the KMS client, the key never in fedgate), alice signs in too', async () => {
    const claims = await signIn(viaKms, kmsIdp);
    expect(claims?.sub).toBe('alice');
    expect(claims?.aud).toBe('fedgate-kms');
    // The KMS key signed: Sign was called with a digest and the alias.
    const signs = kms.commandCalls(SignCommand);
    expect(signs.length).toBeGreaterThan(0);
    expect(signs.at(-1)?.args[0].input).toMatchObject({
      KeyId: KMS_ALIAS,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    });
  });

  it('KMS refusing Sign (AccessDenied) fails the token request with issuer_misconfigured, naming the grant', async () => {
    const fake = installFakeKms(kms, [createFakeKmsKey(KMS_ALIAS)]);
    fake.failNext('Sign', KMS_ALIAS, kmsError('AccessDeniedException'));
    const fresh = createClientAuthenticator({
      resolveSecret: createSecretResolver({ readEnv: () => undefined }),
      loadKeys: (ref) => loadSigningKeys({ refs: [ref], kms: new KMSClient({}) }),
    });
    // A fresh container: the key's certificate is built (one Sign) before the assertion.
    await expect(signIn(fresh, kmsIdp)).rejects.toMatchObject({
      code: 'issuer_misconfigured',
      detail: expect.stringMatching(/kms:Sign/),
    });
  });

  it('an assertion signed by another key is refused: invalid_client → server_error, no token', async () => {
    const wrong = idpFor(`file:${join(dir, 'other.pem')}`);
    await expect(signIn(authenticator(), wrong)).rejects.toMatchObject({
      code: 'server_error',
      detail: expect.stringMatching(/invalid_client/),
    });
  });

  it('an expired assertion (signed 10 minutes ago, 60 s lifetime) is refused with server_error', async () => {
    const stale = authenticator({ clock: () => Date.now() - 600_000 });
    await expect(signIn(stale)).rejects.toMatchObject({
      code: 'server_error',
      detail: expect.stringMatching(/invalid_client/),
    });
  });

  it('the same client with a secret instead of the key is refused (the OP requires private_key_jwt)', async () => {
    const secretAuth = createClientAuthenticator({
      resolveSecret: createSecretResolver({ readEnv: () => 'a-guessed-secret' }),
    });
    const secretIdp = parseGatewayConfig({
      version: 1,
      idps: [
        {
          id: 'corp',
          displayName: 'Corp',
          protocol: 'oidc',
          oidc: { issuer, clientId: 'fedgate', clientSecretRef: 'env:GUESS' },
        },
      ],
    } as never).idps[0] as OidcIdpConfig;
    await expect(signIn(secretAuth, secretIdp)).rejects.toMatchObject({ code: 'server_error' });
  });
});
