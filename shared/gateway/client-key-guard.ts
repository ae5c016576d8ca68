import { GatewayMisconfiguredError } from '../http/errors.js';
import type { SigningKeys } from '../issuer/index.js';

/**
 * Wraps the private_key_jwt key loader of the OIDC client (shared/oidc/client-auth.ts `loadKeys`)
 * so that fedgate's AWS signing key can never serve as a client key. That key's signature is what
 * every IAM role trusts (SAML assertions, web identity tokens); an IdP holding client assertions
 * signed by it would hold signatures of fedgate's crown jewel, and a private_key_jwt config that
 * points at it is a mistake, whatever the spelling (alias, key ARN, key id, file). So the loaded
 * key's public keys are compared with the AWS signing keys' ones, not the references.
 * @throws server_error (GatewayMisconfiguredError) when the client key is an AWS signing key
 *   (its detail says which reference), or whatever loading either key set throws.
 * @example
 * const loadClientKeys = guardClientKeyLoader({
 *   loadKeys: (ref) => loadSigningKeys({ refs: [ref], readFile, kms }),
 *   awsSigningKeys: signingKeys,
 *   awsSigningKeyRefs: config.signingKeyRefs,
 * });
 */
export const guardClientKeyLoader =
  (deps: {
    loadKeys: (keyRef: string) => Promise<SigningKeys>;
    /** fedgate's AWS-facing keys (SIGNING_KEY_REF). */
    awsSigningKeys: SigningKeys;
    awsSigningKeyRefs: readonly string[];
  }) =>
  async (keyRef: string): Promise<SigningKeys> => {
    const refused = () =>
      new GatewayMisconfiguredError(
        `clientAuth.keyRef ${keyRef} is fedgate's AWS signing key (SIGNING_KEY_REF): a private_key_jwt client key must be a key of its own`,
      );
    // The same spelling needs no key service call.
    if (deps.awsSigningKeyRefs.includes(keyRef)) throw refused();
    const clientKeys = await deps.loadKeys(keyRef);
    const [client, aws] = await Promise.all([
      clientKeys.published(),
      deps.awsSigningKeys.published(),
    ]);
    if (client.some((c) => aws.some((a) => a.publicKeySpki.equals(c.publicKeySpki)))) {
      throw refused();
    }
    return clientKeys;
  };
