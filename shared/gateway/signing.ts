import type { RuntimeConfig } from '../config/index.js';
import { publicUrl } from '../http/urls.js';
import { type KmsPort, loadSigningKeys, type SigningKeys } from '../issuer/index.js';

/** fedgate's entity id as the SAML IdP that AWS trusts: the URL of its published metadata. */
export const awsIssuerEntityId = (config: RuntimeConfig): string =>
  publicUrl(config.publicBaseUrl, '/aws/saml-metadata.xml').href;

/**
 * fedgate's issuer URL as the IAM OIDC provider sees it: the public base URL without a trailing
 * slash (IAM compares `iss` as a string; `URL.href` always ends in `/`).
 */
export const webIdentityIssuer = (config: RuntimeConfig): string =>
  `${config.publicBaseUrl.origin}${config.publicBaseUrl.pathname.replace(/\/+$/, '')}`;

/**
 * fedgate's signing keys, loaded once per container on first use; a failed load is not cached,
 * so the next request tries again.
 */
export const createLazySigningKeys = ({
  config,
  readFile,
  kms,
}: {
  config: RuntimeConfig;
  readFile: (path: string) => Promise<string>;
  /** For `kms:` references (the deployed gateway). */
  kms?: KmsPort;
}): SigningKeys => {
  let loading: Promise<SigningKeys> | undefined;
  const keys = () => {
    loading ??= loadSigningKeys({
      refs: config.signingKeyRefs,
      readFile,
      ...(kms ? { kms } : {}),
    }).catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
    return loading;
  };
  return {
    active: async () => (await keys()).active(),
    published: async () => (await keys()).published(),
  };
};
