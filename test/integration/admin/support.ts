import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../infra/admin/cli.js';
import type { CliIo } from '../../../infra/admin/target.js';
import { DEMO_TENANT } from '../../../infra/local/demo/demo-users.js';
import { createTestKeyPair, type TestKeyPair } from '../../kit/keys.js';

/** What one in-process CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The questions the CLI asked (only when run with `answers`, i.e. "at a terminal"). */
  questions: string[];
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

/**
 * Runs the CLI's `main` in this process with captured output, an empty environment (so the
 * developer's AWS settings never leak in) and the given working directory. With `answers` it
 * runs as if at a terminal: each question gets the next answer.
 */
export const runCli = async (
  argv: readonly string[],
  {
    cwd,
    env = {},
    fetchImpl = fetch,
    answers,
  }: { cwd: string; env?: Record<string, string>; fetchImpl?: typeof fetch; answers?: string[] },
): Promise<CliRun> => {
  let stdout = '';
  let stderr = '';
  const questions: string[] = [];
  const pending = [...(answers ?? [])];
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env,
    cwd,
    fetch: fetchImpl,
    ...(answers
      ? {
          ask: async (question: string) => {
            questions.push(question);
            return pending.shift() ?? '';
          },
        }
      : {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr, questions, json: <T>() => JSON.parse(stdout) as T };
};

/** A temporary directory, removed by the returned function. */
export const createWorkspace = async (): Promise<{ dir: string; remove(): Promise<void> }> => {
  const dir = await mkdtemp(join(tmpdir(), 'fedgate-admin-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
};

const wrap = (b64: string) => b64.replace(/.{64}/g, '$&\n');

/**
 * Metadata shaped like Okta's "Identity Provider metadata" of a SAML app: `http://www.okta.com/<app
 * id>` entity id, one signing certificate, NameID formats, POST and Redirect SSO on the org.
 */
export const oktaMetadata = ({
  appId = 'exk1fedgateadmin',
  org = 'https://dev-4242.okta.com',
  certificates,
}: {
  appId?: string;
  org?: string;
  certificates: readonly string[];
}): string =>
  `<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor entityID="http://www.okta.com/${appId}" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${certificates
    .map(
      (c) =>
        `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${wrap(c)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    )
    .join(
      '',
    )}<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${org}/app/dev-4242_fedgate_1/${appId}/sso/saml"/><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${org}/app/dev-4242_fedgate_1/${appId}/sso/saml"/></md:IDPSSODescriptor></md:EntityDescriptor>`;

/**
 * Metadata shaped like Entra ID's app federation metadata: default namespace, an enveloped
 * metadata signature whose KeyInfo carries another certificate (never a trust anchor), WS-Fed
 * RoleDescriptors with xsi:type, then the IDPSSODescriptor with SLO and Redirect/POST SSO.
 */
export const entraMetadata = ({
  tenantId = DEMO_TENANT,
  certificates,
  metadataSigner,
}: {
  tenantId?: string;
  certificates: readonly string[];
  metadataSigner: string;
}): string => {
  const keys = certificates
    .map(
      (c) =>
        `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${c}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`,
    )
    .join('');
  const login = `https://login.microsoftonline.com/${tenantId}`;
  return `<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_6f1d3a52-8c0e-4f7b-9a21-3e5d7c9b1f04" entityID="https://sts.windows.net/${tenantId}/" xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#" /><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" /><Reference URI="#_6f1d3a52-8c0e-4f7b-9a21-3e5d7c9b1f04"><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature" /><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#" /></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256" /><DigestValue>bm90IGEgcmVhbCBkaWdlc3QK</DigestValue></Reference></SignedInfo><SignatureValue>bm90IGEgcmVhbCBzaWduYXR1cmUK</SignatureValue><KeyInfo><X509Data><X509Certificate>${metadataSigner}</X509Certificate></X509Data></KeyInfo></Signature><RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">${keys}<fed:ClaimTypesOffered><auth:ClaimType Uri="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name" xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706"><auth:DisplayName>Name</auth:DisplayName><auth:Description>The mutable display name of the user.</auth:Description></auth:ClaimType></fed:ClaimTypesOffered><fed:PassiveRequestorEndpoint><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>${login}/wsfed</wsa:Address></wsa:EndpointReference></fed:PassiveRequestorEndpoint></RoleDescriptor><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${keys}<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${login}/saml2" /><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${login}/saml2" /><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${login}/saml2" /></IDPSSODescriptor></EntityDescriptor>`;
};

/** The demo IdPs' keys, generated once per test file. */
export interface DemoKeys {
  okta: TestKeyPair;
  entra: TestKeyPair;
  metadataSigner: TestKeyPair;
}

export const createDemoKeys = async (): Promise<DemoKeys> => ({
  okta: await createTestKeyPair('fedgate admin test okta'),
  entra: await createTestKeyPair('fedgate admin test entra'),
  metadataSigner: await createTestKeyPair('fedgate admin test entra metadata signer'),
});

/**
 * Lays out the repo's own demo config under `dir` as the runner does: the config at
 * `infra/local/demo-config.yaml` and the two demo IdPs' metadata at `.local/demo/`, which the
 * config references relatively. Returns the config path (relative to `dir`).
 */
export const writeDemoWorkspace = async (dir: string, keys: DemoKeys): Promise<string> => {
  await mkdir(join(dir, 'infra/local'), { recursive: true });
  await mkdir(join(dir, '.local/demo'), { recursive: true });
  await copyFile(
    new URL('../../../infra/local/demo-config.yaml', import.meta.url),
    join(dir, 'infra/local/demo-config.yaml'),
  );
  await writeFile(
    join(dir, '.local/demo/demo-okta.metadata.xml'),
    oktaMetadata({ certificates: [keys.okta.certificateB64], appId: 'exkdemookta' }),
  );
  await writeFile(
    join(dir, '.local/demo/demo-entra.metadata.xml'),
    entraMetadata({
      certificates: [keys.entra.certificateB64],
      metadataSigner: keys.metadataSigner.certificateB64,
    }),
  );
  return 'infra/local/demo-config.yaml';
};

/** The `--var` the demo config needs. */
export const DEMO_VARS = ['--var', 'LOCAL_BASE_URL=http://127.0.0.1:8787'];

/** A loopback HTTP server answering GET paths from a map; stopped by `close()`. */
export const serveDocuments = async (
  documents: Record<string, { body: string; type: string; status?: number }>,
): Promise<{ origin: string; close(): Promise<void>; server: Server }> => {
  const server = createServer((req, res) => {
    const doc = documents[req.url ?? ''];
    if (!doc) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(doc.status ?? 200, { 'content-type': doc.type }).end(doc.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
};
