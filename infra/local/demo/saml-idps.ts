import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalContext, LocalPlugin } from '../plugin.js';
import { ensureLocalKeyPair } from './keys.js';

/** The demo SAML IdPs of the demo config: one shaped like Okta, one like Entra ID. */
export const DEMO_SAML_IDPS = [
  {
    id: 'demo-okta',
    commonName: 'fedgate demo Okta IdP',
    entityId: (base: URL) => `${base.origin}/_local/idp/demo-okta`,
  },
  {
    id: 'demo-entra',
    commonName: 'fedgate demo Entra ID IdP',
    entityId: () => 'https://sts.windows.net/0b1e3c5a-7d2f-4e8a-9c61-5f0a2b4d6e18/',
  },
] as const;

const xmlEscape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );

const metadataXml = (entityId: string, ssoUrl: string, certificatePem: string) => {
  const cert = certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${xmlEscape(entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${xmlEscape(ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;
};

/**
 * The demo SAML IdPs: each gets a key pair (generated once into `.local/demo/`) and IdP metadata
 * that the demo config's `metadataFile` points at.
 */
export const demoSamlIdps = (): LocalPlugin => ({
  name: 'demo SAML IdPs',
  async prepare(ctx: LocalContext) {
    const dir = join(ctx.workDir, 'demo');
    await mkdir(dir, { recursive: true });
    for (const idp of DEMO_SAML_IDPS) {
      const keys = await ensureLocalKeyPair(dir, idp.id, idp.commonName);
      const ssoUrl = new URL(`/_local/idp/${idp.id}/sso`, ctx.baseUrl).href;
      await writeFile(
        join(dir, `${idp.id}.metadata.xml`),
        metadataXml(idp.entityId(ctx.baseUrl), ssoUrl, keys.certificatePem),
      );
    }
    return undefined;
  },
  describe: (ctx) =>
    DEMO_SAML_IDPS.map(
      (idp) =>
        `demo SAML IdP ${idp.id}: metadata in ${join(ctx.workDir, 'demo', `${idp.id}.metadata.xml`)}`,
    ),
});
