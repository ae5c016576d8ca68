import { IssuerMisconfiguredError } from './errors.js';
import { createLocalSigningKeys } from './local-signing-keys.js';
import type { SigningKeys } from './signing-keys.js';

const PRIVATE_KEY = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\s*/;
const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*/;

/**
 * fedgate's signing keys from their references (`SIGNING_KEY_REF`), once, at cold start: the
 * first reference signs, all are published. `file:<path>` names a PEM bundle holding a PKCS#8
 * private key and its certificate (the local runner's generated key). The file reader is
 * injected: shared/ does no I/O of its own.
 * @throws issuer_misconfigured (500) for an unreadable or incomplete key file, or a `kms:`
 *   reference before the KMS signer exists.
 */
export const loadSigningKeys = async ({
  refs,
  readFile,
}: {
  refs: readonly string[];
  readFile: (path: string) => Promise<string>;
}): Promise<SigningKeys> => {
  const keys = [];
  for (const ref of refs) {
    if (!ref.startsWith('file:')) {
      // TODO(#5): the KMS signer (kms:<key id>) arrives with the CDK/ops issue.
      throw new IssuerMisconfiguredError(
        `signing key reference "${ref.split(':', 1)[0]}:" is not supported yet`,
      );
    }
    const path = ref.slice('file:'.length);
    let pem: string;
    try {
      pem = await readFile(path);
    } catch (err) {
      throw new IssuerMisconfiguredError(
        `cannot read signing key file: ${(err as NodeJS.ErrnoException).code}`,
      );
    }
    const privateKeyPem = PRIVATE_KEY.exec(pem)?.[0];
    const certificatePem = CERTIFICATE.exec(pem)?.[0];
    if (!privateKeyPem || !certificatePem) {
      throw new IssuerMisconfiguredError(
        'signing key file must hold a PKCS#8 private key and its certificate',
      );
    }
    keys.push({ privateKeyPem, certificatePem });
  }
  return createLocalSigningKeys({ keys });
};
