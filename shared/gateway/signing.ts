import type { RuntimeConfig } from '../config/index.js';
import { publicUrl } from '../http/urls.js';
import { loadSigningKeys, type SigningKeys } from '../issuer/index.js';

/** fedgate's entity id as the SAML IdP that AWS trusts: the URL of its published metadata. */
export const awsIssuerEntityId = (config: RuntimeConfig): string =>
  publicUrl(config.publicBaseUrl, '/aws/saml-metadata.xml').href;

/**
 * fedgate's signing keys, loaded once per container on first use; a failed load is not cached,
 * so the next request tries again.
 */
export const createLazySigningKeys = ({
  config,
  readFile,
}: {
  config: RuntimeConfig;
  readFile: (path: string) => Promise<string>;
}): SigningKeys => {
  let loading: Promise<SigningKeys> | undefined;
  const keys = () => {
    loading ??= loadSigningKeys({ refs: config.signingKeyRefs, readFile }).catch((err: unknown) => {
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
