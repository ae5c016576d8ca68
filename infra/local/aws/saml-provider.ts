import { DOMParser } from '@xmldom/xmldom';

const MD_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
const MAX_METADATA_BYTES = 256 * 1024;

/** What an IAM SAML provider keeps from the metadata document it was created with. */
export interface SamlProviderMetadata {
  entityId: string;
  /** Base64 DER of every signing certificate (a rotation publishes two). */
  signingCertificates: string[];
}

/**
 * Parses IdP metadata the way IAM's CreateSAMLProvider reads it: one EntityDescriptor with an
 * IDPSSODescriptor whose KeyDescriptors (use="signing" or no use) carry X.509 certificates.
 * @throws Error with a message fit for the stand-in's error answer.
 */
export const parseSamlProviderMetadata = (xml: string): SamlProviderMetadata => {
  const problems: string[] = [];
  const doc = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: (msg) => problems.push(String(msg)),
      fatalError: (msg) => problems.push(String(msg)),
    },
  }).parseFromString(xml, 'text/xml');
  const root = doc?.documentElement;
  if (problems.length > 0 || !root) throw new Error('Could not parse metadata');
  if (root.namespaceURI !== MD_NS || root.localName !== 'EntityDescriptor') {
    throw new Error('Could not parse metadata: the root is not an md:EntityDescriptor');
  }
  const entityId = root.getAttribute('entityID') ?? '';
  if (!entityId) throw new Error('Could not parse metadata: EntityDescriptor has no entityID');
  const idp = Array.from(root.getElementsByTagNameNS(MD_NS, 'IDPSSODescriptor'));
  if (idp.length !== 1) throw new Error('Could not parse metadata: expected one IDPSSODescriptor');
  const signingCertificates: string[] = [];
  for (const kd of Array.from((idp[0] as Element).getElementsByTagNameNS(MD_NS, 'KeyDescriptor'))) {
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const cert of Array.from(kd.getElementsByTagNameNS(DS_NS, 'X509Certificate'))) {
      const b64 = (cert.textContent ?? '').replace(/\s+/g, '');
      if (b64) signingCertificates.push(b64);
    }
  }
  if (signingCertificates.length === 0) {
    throw new Error('Could not parse metadata: no signing certificate in the IDPSSODescriptor');
  }
  return { entityId, signingCertificates };
};

/**
 * Fetches the metadata document the local IAM SAML provider "was created with". Fetched on every
 * call (it is local and small), so a key rotation in the runner is seen at once, as if the
 * operator had re-uploaded the metadata to IAM.
 */
export const loadSamlProviderMetadata = async (
  url: URL,
  fetchImpl: typeof fetch,
  timeoutMs = 5000,
): Promise<SamlProviderMetadata> => {
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (err) {
    throw new Error(
      `could not fetch the SAML provider metadata from ${url.href} (${(err as Error).name})`,
    );
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`the SAML provider metadata at ${url.href} answered ${res.status}`);
  }
  const text = await res.text();
  if (text.length > MAX_METADATA_BYTES) throw new Error('Could not parse metadata: too large');
  return parseSamlProviderMetadata(text);
};
