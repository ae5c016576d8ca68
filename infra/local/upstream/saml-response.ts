import { randomBytes } from 'node:crypto';
import { SignedXml } from 'xml-crypto';

/**
 * Builds and signs upstream IdP SAML Responses, shaped like Okta's or Entra ID's: the upstream
 * side of a sign-in, for the demo IdPs of the local runner (infra/local/demo/saml-idps.ts) and
 * for tests. Independent of shared/saml (it must not share the code it feeds). Every value is
 * escaped: a claim value is text, never markup.
 *
 * Why here: infra/local/upstream/ holds stand-ins for the upstream IdPs as infra/local/aws/ holds
 * the AWS ones. Not in shared/: that is what Lambda bundles, and a signer of upstream responses
 * has no place in the deployed gateway. Not in test/: the runner (`npm start`) uses it, and
 * infra/ never imports from test/. Not in demo/: the demo is one of its users, not its owner.
 */

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/** Which IdP the document looks like: prefixes, element order and attribute typing. */
export type UpstreamStyle = 'okta' | 'entra';

export interface UpstreamResponseInput {
  /** The IdP entity id (Issuer of Response and Assertion). */
  issuer: string;
  /** The SP entity id (Audience). */
  audience: string;
  /** Recipient and Destination. */
  acsUrl: string;
  nameId: string;
  /** Default: emailAddress. */
  nameIdFormat?: string;
  attributes: Readonly<Record<string, readonly string[]>>;
  /** SP-initiated: the AuthnRequest ID (on Response and SubjectConfirmationData). */
  inResponseTo?: string;
  /** Epoch seconds: IssueInstant. */
  now: number;
  /** SubjectConfirmationData and Conditions NotOnOrAfter = now + this. Default 300. */
  lifetimeSeconds?: number;
  /** Conditions NotBefore = now − this (IdPs backdate it). Default 300 for Okta, 0 otherwise. */
  notBeforeSkewSeconds?: number;
  sessionIndex?: string;
  /** Epoch seconds. Default `now`. */
  authnInstant?: number;
  authnContextClassRef?: string;
  responseId?: string;
  assertionId?: string;
  /** Default `okta`. */
  style?: UpstreamStyle;
}

const iso = (epochSeconds: number) => new Date(Math.round(epochSeconds * 1000)).toISOString();
const newId = () => `_${randomBytes(16).toString('hex')}`;

/** Escapes character data. */
export const escapeXmlText = (s: string): string =>
  s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
/** Escapes an attribute value (double-quoted), line breaks and tabs included. */
export const escapeXmlAttribute = (s: string): string =>
  s.replace(
    /[&<>"\t\n\r]/g,
    (c) =>
      ({
        '&': '&amp;',
        '<': '&lt;',
        '>': '&gt;',
        '"': '&quot;',
        '\t': '&#9;',
        '\n': '&#10;',
        '\r': '&#13;',
      })[c] as string,
  );

/**
 * An unsigned SAML 2.0 Response with one Assertion: Issuer, bearer SubjectConfirmation
 * (Recipient, NotOnOrAfter, InResponseTo when SP-initiated), Conditions with NotBefore,
 * NotOnOrAfter and AudienceRestriction, one AuthnStatement and the attributes. Okta style uses
 * `saml2p:`/`saml2:` prefixes and `xsi:type="xs:string"` values; Entra style default namespaces
 * and AttributeStatement before AuthnStatement, as those IdPs send them.
 * @example buildUpstreamResponse({ issuer, audience, acsUrl, nameId, attributes, now: Date.now() / 1000 })
 */
export const buildUpstreamResponse = (input: UpstreamResponseInput): string => {
  const style = input.style ?? 'okta';
  const now = input.now;
  const lifetime = input.lifetimeSeconds ?? 300;
  const notBefore = now - (input.notBeforeSkewSeconds ?? (style === 'okta' ? 300 : 0));
  const e = escapeXmlAttribute;
  const t = escapeXmlText;
  const irt = input.inResponseTo !== undefined ? ` InResponseTo="${e(input.inResponseTo)}"` : '';
  const [p, a] = style === 'okta' ? ['saml2p:', 'saml2:'] : ['samlp:', ''];
  const pDecl = style === 'okta' ? `xmlns:saml2p="${PROTOCOL}"` : `xmlns:samlp="${PROTOCOL}"`;
  const aDecl = style === 'okta' ? `xmlns:saml2="${ASSERTION}"` : `xmlns="${ASSERTION}"`;
  const issuerFormat =
    style === 'okta' ? ' Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity"' : '';
  const issuer = `<${a}Issuer${issuerFormat}>${t(input.issuer)}</${a}Issuer>`;
  const valueAttrs =
    style === 'okta'
      ? ' xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string"'
      : '';
  const nameFormat =
    style === 'okta' ? ' NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"' : '';
  const attributes = Object.entries(input.attributes)
    .map(
      ([name, values]) =>
        `<${a}Attribute Name="${e(name)}"${nameFormat}>${values
          .map((v) => `<${a}AttributeValue${valueAttrs}>${t(v)}</${a}AttributeValue>`)
          .join('')}</${a}Attribute>`,
    )
    .join('');
  const attributeStatement = attributes
    ? `<${a}AttributeStatement>${attributes}</${a}AttributeStatement>`
    : '';
  const authnStatement = `<${a}AuthnStatement AuthnInstant="${iso(input.authnInstant ?? now)}" SessionIndex="${e(input.sessionIndex ?? newId())}"><${a}AuthnContext><${a}AuthnContextClassRef>${t(
    input.authnContextClassRef ??
      (style === 'okta'
        ? 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'
        : 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password'),
  )}</${a}AuthnContextClassRef></${a}AuthnContext></${a}AuthnStatement>`;
  const statements =
    style === 'okta' ? authnStatement + attributeStatement : attributeStatement + authnStatement;
  const assertion = `<${a}Assertion ${aDecl} ID="${e(input.assertionId ?? newId())}" IssueInstant="${iso(now)}" Version="2.0">${issuer}<${a}Subject><${a}NameID Format="${e(
    input.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  )}">${t(input.nameId)}</${a}NameID><${a}SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><${a}SubjectConfirmationData${irt} NotOnOrAfter="${iso(now + lifetime)}" Recipient="${e(input.acsUrl)}"/></${a}SubjectConfirmation></${a}Subject><${a}Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(now + lifetime)}"><${a}AudienceRestriction><${a}Audience>${t(input.audience)}</${a}Audience></${a}AudienceRestriction></${a}Conditions>${statements}</${a}Assertion>`;
  const responseIssuer =
    style === 'okta'
      ? `<saml2:Issuer xmlns:saml2="${ASSERTION}"${issuerFormat}>${t(input.issuer)}</saml2:Issuer>`
      : `<Issuer xmlns="${ASSERTION}">${t(input.issuer)}</Issuer>`;
  return `<?xml version="1.0" encoding="UTF-8"?><${p}Response ${pDecl} Destination="${e(input.acsUrl)}" ID="${e(input.responseId ?? newId())}"${irt} IssueInstant="${iso(now)}" Version="2.0">${responseIssuer}<${p}Status><${p}StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></${p}Status>${assertion}</${p}Response>`;
};

export interface UpstreamSigningOptions {
  privateKeyPem: string;
  /** Published in KeyInfo (as IdPs do; verifiers must ignore it). */
  certificatePem: string;
  signAssertion: boolean;
  signResponse: boolean;
  /** Default `rsa-sha256`; `rsa-sha1` only to build documents a verifier must refuse. */
  algorithm?: 'rsa-sha256' | 'rsa-sha512' | 'rsa-sha1';
  /** Default `sha256`. */
  digest?: 'sha256' | 'sha512' | 'sha1';
  /** Signature element prefix: default `ds` (Okta style); `''` for Entra's default namespace. */
  prefix?: string;
}
// No InclusiveNamespaces option: xml-crypto 6 writes that element under every Transform, in the
// transform's own namespace (enveloped-signature included), which is not what Okta sends and not
// what a strict verifier accepts. Okta's `PrefixList="xs"` shape is produced with xmlsec1 in tests.

const SIGNATURE_ALGORITHMS = {
  'rsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'rsa-sha512': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'rsa-sha1': 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
} as const;
const DIGEST_ALGORITHMS = {
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
} as const;

const signElement = (
  xml: string,
  local: 'Assertion' | 'Response',
  opts: UpstreamSigningOptions,
): string => {
  const ns = local === 'Assertion' ? ASSERTION : PROTOCOL;
  const element = `//*[local-name(.)='${local}' and namespace-uri(.)='${ns}']`;
  const sig = new SignedXml({
    privateKey: opts.privateKeyPem,
    publicCert: opts.certificatePem,
    signatureAlgorithm: SIGNATURE_ALGORITHMS[opts.algorithm ?? 'rsa-sha256'],
    canonicalizationAlgorithm: EXC_C14N,
  });
  sig.addReference({
    xpath: element,
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: DIGEST_ALGORITHMS[opts.digest ?? 'sha256'],
  });
  // Schema order: the Signature follows the element's own Issuer.
  sig.computeSignature(xml, {
    prefix: opts.prefix ?? 'ds',
    location: {
      reference: `${element}/*[local-name(.)='Issuer' and namespace-uri(.)='${ASSERTION}']`,
      action: 'after',
    },
  });
  return sig.getSignedXml();
};

/**
 * Signs a response built by {@link buildUpstreamResponse} with xml-crypto: enveloped signatures
 * over exclusive c14n, RSA-SHA256 and SHA-256 by default, the assertion first, then the Response
 * (whose signature then covers the signed assertion), each placed after its element's Issuer.
 * @example signUpstreamResponse(xml, { privateKeyPem, certificatePem, signAssertion: true, signResponse: false })
 */
export const signUpstreamResponse = (xml: string, opts: UpstreamSigningOptions): string => {
  let out = xml;
  if (opts.signAssertion) out = signElement(out, 'Assertion', opts);
  if (opts.signResponse) out = signElement(out, 'Response', opts);
  return out;
};

/** A person, for the attribute helpers. */
export interface UpstreamUser {
  /** Immutable IdP user id: Okta's `00u…`, Entra's object id. */
  id: string;
  email: string;
  givenName: string;
  surname: string;
  groups: readonly string[];
  department?: string;
}

/** Attributes as an Okta app's attribute statements commonly send them (names chosen by the admin). */
export const oktaAttributes = (user: UpstreamUser): Record<string, string[]> => ({
  email: [user.email],
  firstName: [user.givenName],
  lastName: [user.surname],
  login: [user.email],
  oktaUserId: [user.id],
  ...(user.department !== undefined ? { department: [user.department] } : {}),
  groups: [...user.groups],
});

const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const MS_CLAIMS = 'http://schemas.microsoft.com/identity/claims';

/** Attributes as Entra ID sends them by default (claim URIs), groups as object ids. */
export const entraAttributes = (
  user: UpstreamUser,
  { tenantId }: { tenantId: string },
): Record<string, string[]> => ({
  [`${MS_CLAIMS}/tenantid`]: [tenantId],
  [`${MS_CLAIMS}/objectidentifier`]: [user.id],
  [`${MS_CLAIMS}/displayname`]: [`${user.givenName} ${user.surname}`],
  [`${MS_CLAIMS}/identityprovider`]: [`https://sts.windows.net/${tenantId}/`],
  'http://schemas.microsoft.com/claims/authnmethodsreferences': [
    'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password',
  ],
  [`${CLAIMS}/givenname`]: [user.givenName],
  [`${CLAIMS}/surname`]: [user.surname],
  [`${CLAIMS}/emailaddress`]: [user.email],
  [`${CLAIMS}/name`]: [user.email],
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': [...user.groups],
});
