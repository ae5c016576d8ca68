import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { OidcIdpConfig } from '../../../shared/config/index.js';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { guardClientKeyLoader } from '../../../shared/gateway/index.js';
import {
  createLocalSigningKeys,
  type LocalKeyMaterial,
  type SigningKeys,
} from '../../../shared/issuer/index.js';
import { createClientAuthenticator, createSecretResolver } from '../../../shared/oidc/index.js';
import { createTestKeyPair } from '../../kit/keys.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';

/** fedgate's AWS signing key must never become a private_key_jwt client key (a misconfiguration). */

const AWS_REF = 'kms:0b1e3c5a-7d2f-4e8a-9c61-5f0a2b4d6e18';
let awsActive: LocalKeyMaterial;
let awsNext: LocalKeyMaterial;
let other: LocalKeyMaterial;
let awsSigningKeys: SigningKeys;
beforeAll(async () => {
  [awsActive, awsNext] = await testKeyMaterials();
  other = await createTestKeyPair('a client key of its own');
  awsSigningKeys = createLocalSigningKeys({ keys: [awsActive, awsNext] });
});

/** A loader that resolves references to key material, as loadSigningKeys would. */
const loaderOf = (byRef: Record<string, LocalKeyMaterial>) =>
  vi.fn(async (ref: string) => {
    const key = byRef[ref];
    if (!key) throw new Error(`no key ${ref}`);
    return createLocalSigningKeys({ keys: [key] });
  });

describe('guardClientKeyLoader', () => {
  it('refuses the AWS signing key by its own reference, without loading anything', async () => {
    const loadKeys = loaderOf({});
    const guard = guardClientKeyLoader({ loadKeys, awsSigningKeys, awsSigningKeyRefs: [AWS_REF] });
    await expect(guard(AWS_REF)).rejects.toMatchObject({
      code: 'server_error',
      status: 500,
      detail: expect.stringMatching(/is fedgate's AWS signing key/),
    });
    expect(loadKeys).not.toHaveBeenCalled();
  });

  it.each([
    ['an alias of the active key', 'kms:alias/corp-client', () => awsActive],
    ['the key ARN of the next (published) key', 'kms:arn:aws:kms:eu-west-1:1:key/x', () => awsNext],
    ['a file holding the same key', 'file:/keys/corp.pem', () => awsActive],
  ])('refuses %s: the same public key under another spelling', async (_, ref, key) => {
    const guard = guardClientKeyLoader({
      loadKeys: loaderOf({ [ref]: key() }),
      awsSigningKeys,
      awsSigningKeyRefs: [AWS_REF],
    });
    await expect(guard(ref)).rejects.toMatchObject({ code: 'server_error' });
  });

  it('passes a key of its own through', async () => {
    const guard = guardClientKeyLoader({
      loadKeys: loaderOf({ 'kms:alias/corp-client': other }),
      awsSigningKeys,
      awsSigningKeyRefs: [AWS_REF],
    });
    const keys = await guard('kms:alias/corp-client');
    expect((await keys.active()).certificatePem).toBe(other.certificatePem);
  });

  it("as the OIDC client authenticator's loadKeys: the IdP's JWKS is refused, not published", async () => {
    const idp = parseGatewayConfig({
      version: 1,
      idps: [
        {
          id: 'corp',
          displayName: 'Corp',
          protocol: 'oidc',
          oidc: {
            issuer: 'https://idp.example.com',
            clientId: 'fedgate',
            clientAuth: { method: 'private_key_jwt', keyRef: 'kms:alias/corp-client' },
          },
        },
      ],
    } as never).idps[0] as OidcIdpConfig;
    const authenticator = createClientAuthenticator({
      resolveSecret: createSecretResolver({ readEnv: () => undefined }),
      loadKeys: guardClientKeyLoader({
        loadKeys: loaderOf({ 'kms:alias/corp-client': awsActive }),
        awsSigningKeys,
        awsSigningKeyRefs: [AWS_REF],
      }),
    });
    await expect(authenticator.jwks(idp)).rejects.toMatchObject({ code: 'server_error' });
  });
});
