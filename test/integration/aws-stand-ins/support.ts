import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignedXml } from 'xml-crypto';
import type { LocalContext, LocalPlugin } from '../../../infra/local/plugin.js';
import type { TestKeyPair } from '../../kit/keys.js';

/**
 * Test-side stand-ins for what fedgate will provide later: IdP metadata for a key pair, and a
 * minimal signed AWS-bound SAML Response built here with xml-crypto (not with fedgate's minter,
 * which is written concurrently), plus a bare node:http harness that mounts runner plugins.
 */

export const ACCOUNT = '123456789012';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/Developer`;
export const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:saml-provider/fedgate`;
export const AWS_SAML = 'https://signin.aws.amazon.com/saml';
const ATTR = 'https://aws.amazon.com/SAML/Attributes/';

const xmlEscape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
const certBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');

/** IdP metadata as an IAM SAML provider would be created from (one or more signing certificates). */
export const buildIdpMetadata = (entityId: string, certificatePems: readonly string[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${xmlEscape(entityId)}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
${certificatePems
  .map(
    (pem) =>
      `    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
  )
  .join('\n')}
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://fedgate.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`;

export interface AwsAssertionOptions {
  issuer: string;
  /** `Role` attribute values (default: `${ROLE_ARN},${PROVIDER_ARN}`). */
  roles?: readonly string[];
  /** `RoleSessionName` (omitted when null). */
  sessionName?: string | null;
  sourceIdentity?: string;
  sessionDuration?: string;
  tags?: readonly (readonly [string, string])[];
  transitiveTagKeys?: readonly string[];
  audience?: string;
  recipient?: string;
  /** The Response's Destination (default: the Recipient). */
  destination?: string;
  nameId?: string;
  /** Shifts every time in the assertion (negative: issued in the past). */
  offsetMs?: number;
  /** SubjectConfirmationData / Conditions validity (default 5 minutes). */
  validityMs?: number;
  /** AuthnStatement SessionNotOnOrAfter. */
  sessionNotOnOrAfter?: Date;
  /** Change the signed XML after signing (a tampering attacker). */
  tamper?: (signedXml: string) => string;
}

const attribute = (name: string, values: readonly string[]) =>
  `<saml:Attribute Name="${xmlEscape(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">${values
    .map((v) => `<saml:AttributeValue>${xmlEscape(v)}</saml:AttributeValue>`)
    .join('')}</saml:Attribute>`;

const id = () => `_${randomBytes(16).toString('hex')}`;

/**
 * A signed SAML Response for AWS as fedgate would mint it: one assertion signed with RSA-SHA256
 * over exclusive c14n (enveloped), Audience and Recipient the AWS sign-in endpoint. Base64.
 */
export const buildAwsSamlResponse = (key: TestKeyPair, opts: AwsAssertionOptions): string => {
  const now = Date.now() + (opts.offsetMs ?? 0);
  const iso = (ms: number) => new Date(ms).toISOString();
  const notOnOrAfter = iso(now + (opts.validityMs ?? 5 * 60_000));
  const assertionId = id();
  const recipient = opts.recipient ?? AWS_SAML;
  const attributes = [
    attribute(`${ATTR}Role`, opts.roles ?? [`${ROLE_ARN},${PROVIDER_ARN}`]),
    ...(opts.sessionName === null
      ? []
      : [attribute(`${ATTR}RoleSessionName`, [opts.sessionName ?? 'alice@example.com'])]),
    ...(opts.sourceIdentity ? [attribute(`${ATTR}SourceIdentity`, [opts.sourceIdentity])] : []),
    ...(opts.sessionDuration ? [attribute(`${ATTR}SessionDuration`, [opts.sessionDuration])] : []),
    ...(opts.tags ?? []).map(([k, v]) => attribute(`${ATTR}PrincipalTag:${k}`, [v])),
    ...(opts.transitiveTagKeys?.length
      ? [attribute(`${ATTR}TransitiveTagKeys`, opts.transitiveTagKeys)]
      : []),
  ].join('');
  const xml =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id()}" Version="2.0" IssueInstant="${iso(now)}" Destination="${xmlEscape(opts.destination ?? recipient)}">` +
    `<saml:Issuer>${xmlEscape(opts.issuer)}</saml:Issuer>` +
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
    `<saml:Assertion ID="${assertionId}" Version="2.0" IssueInstant="${iso(now)}">` +
    `<saml:Issuer>${xmlEscape(opts.issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${xmlEscape(opts.nameId ?? 'u-4f1c2a')}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${xmlEscape(recipient)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(now - 60_000)}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${xmlEscape(opts.audience ?? AWS_SAML)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${assertionId}"${opts.sessionNotOnOrAfter ? ` SessionNotOnOrAfter="${opts.sessionNotOnOrAfter.toISOString()}"` : ''}><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` +
    '</saml:Assertion></samlp:Response>';

  const sig = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: "//*[local-name(.)='Assertion']",
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, {
    location: {
      reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']",
      action: 'after',
    },
  });
  const signed = opts.tamper ? opts.tamper(sig.getSignedXml()) : sig.getSignedXml();
  return Buffer.from(signed, 'utf8').toString('base64');
};

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => done(Buffer.concat(chunks)));
    req.on('error', fail);
  });

export interface Harness {
  baseUrl: URL;
  ctx: LocalContext;
  /** What the runner would serve at /aws/saml-metadata.xml (replace to rotate keys). */
  setMetadata(xml: string): void;
  close(): Promise<void>;
}

/** JSON documents the harness serves by path, computed per request (discovery, JWKS). */
export type HarnessJson = Readonly<Record<string, (baseUrl: URL) => unknown>>;

/**
 * A bare node:http server that mounts runner plugins by prefix (as infra/local/gateway.ts does)
 * and serves the IdP metadata at `/aws/saml-metadata.xml` and any `json` documents (fedgate's
 * discovery document and JWKS), standing in for the runner.
 */
export const startHarness = async (
  plugins: readonly LocalPlugin[],
  json: HarnessJson = {},
): Promise<Harness> => {
  let metadata = '';
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const baseUrl = new URL(`http://127.0.0.1:${port}`);
  const ctx: LocalContext = { baseUrl, listenUrl: baseUrl, workDir: '.local/test' };
  server.on('request', (req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
      const plugin = plugins.find((p) => p.prefix && p.handle && path.startsWith(p.prefix));
      if (plugin?.handle) return plugin.handle(req, res, body, ctx);
      if (path === '/aws/saml-metadata.xml' && metadata) {
        res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
        return res.end(metadata);
      }
      const document = json[path];
      if (document) {
        const body = JSON.stringify(await document(baseUrl));
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(body);
      }
      res.writeHead(404);
      res.end();
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  return {
    baseUrl,
    ctx,
    setMetadata: (xml) => {
      metadata = xml;
    },
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
};
