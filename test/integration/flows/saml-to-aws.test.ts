import { type AssumeRoleWithSAMLCommand, STSClient } from '@aws-sdk/client-sts';
import { DOMParser } from '@xmldom/xmldom';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStandIns, awsStandIns } from '../../../infra/local/aws/index.js';
import {
  buildUpstreamResponse,
  signUpstreamResponse,
} from '../../../infra/local/upstream/saml-response.js';
import {
  EnvSchema,
  type GatewayConfigInput,
  parseGatewayConfig,
} from '../../../shared/config/index.js';
import { parseConsoleDestination } from '../../../shared/console/index.js';
import {
  createAwsAccessFor,
  createPortalActionsFor,
  createPortalViewFor,
  createSamlAssumption,
  createSessionsFor,
  createSignInFor,
} from '../../../shared/gateway/index.js';
import {
  buildAwsIdpMetadata,
  createLocalSigningKeys,
  type LocalKeyMaterial,
} from '../../../shared/issuer/index.js';
import {
  createAcsEndpoint,
  createSamlResponseVerifier,
  mapSamlIdentity,
} from '../../../shared/saml/index.js';
import { csrfTokenOf, parseSessionToken } from '../../../shared/session/index.js';
import { createDynamoStateStore, createReplayCache } from '../../../shared/store/index.js';
import type { StsPort } from '../../../shared/sts/index.js';
import { createTestKeyPair, type TestKeyPair } from '../../kit/keys.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';
import {
  createWorkdir,
  verifyWithOnelogin,
  verifyWithXmlsec1,
  type Workdir,
} from '../../support/issuer/verifiers.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { type Harness, startHarness } from '../aws-stand-ins/support.js';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const ACCOUNT = '123456789012';
const DEV_ROLE = `arn:aws:iam::${ACCOUNT}:role/Developer`;
const ONE_HOUR_ROLE = `arn:aws:iam::${ACCOUNT}:role/OneHourOnly`;
const READER_ROLE = `arn:aws:iam::${ACCOUNT}:role/Reader`;
const AWS_SAML = 'https://signin.aws.amazon.com/saml';
const UPSTREAM = 'https://idp.example.com/upstream';
const SP_BASE = new URL('https://sso.example.com');
const MFA = 'http://schemas.microsoft.com/claims/multipleauthn';

/**
 * A SAML sign-in from an upstream IdP's signed response to AWS, with real parts: fedgate's
 * verifier and ACS (state on DynamoDB Local), its minter and STS client against the STS and
 * federation stand-ins (which verify with node-saml against fedgate's published metadata), and the
 * minted assertion checked again by xmlsec1 and python3-onelogin-saml2 (strict). What it proves:
 * the person's upstream authentication time and method reach AWS, through the session and the
 * access portal too, and the console session never outlasts the credentials STS granted.
 */
describe('SAML sign-in to AWS: authentication context and console duration', () => {
  const db = useDynamoDb();
  let standIns: AwsStandIns;
  let harness: Harness;
  let upstreamKey: TestKeyPair;
  let fedgateKey: LocalKeyMaterial;
  let work: Workdir;
  let stsClient: STSClient;

  beforeAll(async () => {
    standIns = awsStandIns({
      roles: {
        [DEV_ROLE]: {},
        [READER_ROLE]: {},
        [ONE_HOUR_ROLE]: { maxSessionDurationSeconds: 3600 },
      },
    });
    harness = await startHarness(standIns.plugins);
    [upstreamKey, [fedgateKey]] = await Promise.all([
      createTestKeyPair('fedgate test IdP'),
      testKeyMaterials(),
    ]);
    const keys = await createLocalSigningKeys({ keys: [fedgateKey] }).published();
    harness.setMetadata(
      buildAwsIdpMetadata({ entityId: `${harness.baseUrl.origin}/aws/saml-metadata.xml`, keys }),
    );
    stsClient = new STSClient({
      region: 'us-east-1',
      endpoint: new URL('/_local/sts/', harness.baseUrl).href,
      maxAttempts: 1,
    });
    work = await createWorkdir();
  });
  afterAll(async () => {
    stsClient?.destroy();
    await harness?.close();
    await work?.remove();
  });

  const rule = (id: string, group: string, roleArn: string, sessionDurationSeconds: number) => ({
    id,
    priority: 10,
    effect: 'allow',
    when: [{ claim: 'groups', op: 'contains', value: group }],
    grant: { roleArn, sessionName: `${id}-{subject}`, sessionDurationSeconds },
  });

  /** The gateway as the ACS function wires it, recording what goes to STS and to the console. */
  const gateway = () => {
    const config = EnvSchema.parse({
      ATTRIBUTE_TABLE_NAME: 'attrs',
      STATE_TABLE_NAME: db.names.stateTableName,
      PUBLIC_BASE_URL: harness.baseUrl.origin,
      AWS_REGION: 'us-east-1',
      SIGNING_KEY_REF: 'file:/unused',
      FEDERATION_ENDPOINT: new URL('/_local/federation', harness.baseUrl).href,
    });
    const gatewayConfig = parseGatewayConfig({
      version: 1,
      idps: [
        {
          id: 'up',
          displayName: 'Upstream',
          protocol: 'saml',
          saml: {
            entityId: UPSTREAM,
            signingCertificates: [upstreamKey.certificatePem],
            // A trusted tile: IdP-initiated sign-ins go straight on (no confirmation page).
            idpInitiated: 'allow',
          },
          rules: [
            rule('dev', 'developers', DEV_ROLE, 28_800),
            rule('long', 'long-sessions', ONE_HOUR_ROLE, 43_200),
            rule('reader', 'readers', READER_ROLE, 3600),
          ],
        },
      ],
    } as GatewayConfigInput);
    const assertions: string[] = [];
    const recordingSts: StsPort = {
      send: ((command: AssumeRoleWithSAMLCommand) => {
        assertions.push(String(command.input.SAMLAssertion));
        return stsClient.send(command);
      }) as StsPort['send'],
    };
    const consoleRequests: URL[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      consoleRequests.push(new URL(String(input)));
      return fetch(input, init);
    };
    const dynamo = db.createClient();
    const state = createDynamoStateStore({ client: dynamo, tableName: db.names.stateTableName });
    const log = captureLogger();
    const signingKeys = createLocalSigningKeys({ keys: [fedgateKey] });
    const attributes = createMemoryAttributeStore(gatewayConfig);
    // The ACS function's wiring (functions/saml-acs.ts), and the portal's for several grants.
    const access = createAwsAccessFor({
      config,
      sts: recordingSts,
      fetch: recordingFetch,
      signingKeys,
      log,
      saml: createSamlAssumption({ config, sts: recordingSts, signingKeys, log }),
    });
    const sessions = createSessionsFor({ config, dynamo, attributes, log });
    const { complete, confirmation } = createSignInFor({
      config,
      attributes,
      state,
      sessions,
      access,
      log,
    });
    const endpoint = createAcsEndpoint({
      attributes,
      state,
      replay: createReplayCache({ state }),
      verify: createSamlResponseVerifier(),
      toIdentity: mapSamlIdentity,
      parseDestination: (raw) => parseConsoleDestination(raw),
      complete,
      confirmation,
      publicBaseUrl: SP_BASE,
      log,
    });
    const portal = {
      view: createPortalViewFor({ config, attributes, sessions, log }),
      actions: createPortalActionsFor({ config, attributes, sessions, access, log }),
    };
    return { endpoint, portal, assertions, consoleRequests };
  };

  /** A response from the upstream IdP: the person authenticated `authAgoSeconds` ago. */
  const upstreamResponse = (groups: string[], authAgoSeconds: number, classRef?: string) => {
    const now = Math.floor(Date.now() / 1000);
    const xml = buildUpstreamResponse({
      issuer: UPSTREAM,
      audience: new URL('/saml/up/metadata', SP_BASE).href,
      acsUrl: new URL('/saml/up/acs', SP_BASE).href,
      nameId: 'jane@example.com',
      attributes: { groups },
      now,
      authnInstant: now - authAgoSeconds,
      ...(classRef ? { authnContextClassRef: classRef } : {}),
    });
    const signed = signUpstreamResponse(xml, {
      privateKeyPem: upstreamKey.privateKeyPem,
      certificatePem: upstreamKey.certificatePem,
      signAssertion: true,
      signResponse: false,
    });
    return { b64: Buffer.from(signed).toString('base64'), authnInstant: now - authAgoSeconds };
  };

  const post = (path: string, form: Record<string, string>, cookies?: string[]) =>
    apiEvent({
      method: 'POST',
      path,
      pathParameters: { idp: 'up' },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(new URLSearchParams(form).toString()).toString('base64'),
      isBase64Encoded: true,
      ...(cookies ? { cookies } : {}),
    } as Partial<APIGatewayProxyEventV2> & { path: string });

  /** The AuthnStatement of a minted assertion as base64. */
  const authnOf = (b64: string) => {
    const doc = new DOMParser().parseFromString(Buffer.from(b64, 'base64').toString(), 'text/xml');
    const authn = doc.getElementsByTagNameNS(SAML, 'AuthnStatement')[0] as Element;
    return {
      instant: authn.getAttribute('AuthnInstant'),
      classRef: authn.getElementsByTagNameNS(SAML, 'AuthnContextClassRef')[0]?.textContent,
    };
  };
  const iso = (epochSeconds: number) =>
    new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');

  /** The stand-in console page the login URL leads to, as fields. */
  const consolePage = async (location: string) => {
    const page = await (await fetch(location)).text();
    const field = (name: string) =>
      new RegExp(`data-field="${name}"[^>]*>(?:<[^>]+>)*([^<]+)`).exec(page)?.[1];
    return { page, field };
  };

  it("one grant: the minted assertion carries the upstream AuthnInstant and class, and AWS's verifiers accept it", async () => {
    const { endpoint, assertions } = gateway();
    const upstream = upstreamResponse(['developers'], 1200, MFA);
    const res = await endpoint.acs(post('/saml/up/acs', { SAMLResponse: upstream.b64 }));
    expect(res.statusCode).toBe(302);
    expect(String(res.headers?.location)).toContain('/_local/federation?Action=login');

    expect(assertions).toHaveLength(1);
    const minted = assertions[0] as string;
    expect(authnOf(minted)).toEqual({ instant: iso(upstream.authnInstant), classRef: MFA });
    // The STS stand-in (node-saml against fedgate's published metadata) accepted it: a session.
    const { field } = await consolePage(String(res.headers?.location));
    expect(field('role-name')).toBe('Developer');

    // xmlsec1 and onelogin (strict, as AWS's SP) accept the same document.
    const xmlPath = await work.write('minted-authn.xml', Buffer.from(minted, 'base64').toString());
    const certPath = await work.write('fedgate.cert.pem', fedgateKey.certificatePem);
    const xmlsec = await verifyWithXmlsec1(xmlPath, certPath);
    expect(xmlsec.stderr).toMatch(/^OK$/m);
    const verdict = await verifyWithOnelogin({
      samlResponse: minted,
      idpEntityId: `${harness.baseUrl.origin}/aws/saml-metadata.xml`,
      idpCerts: [fedgateKey.certificatePem],
      spEntityId: AWS_SAML,
      acsUrl: AWS_SAML,
    });
    expect(verdict.error).toBeNull();
    expect(verdict.valid).toBe(true);
  });

  it('several grants: the session keeps the upstream authentication for the role opened in the portal', async () => {
    const { endpoint, portal, assertions } = gateway();
    const upstream = upstreamResponse(['developers', 'readers'], 600, MFA);
    const signedIn = await endpoint.acs(post('/saml/up/acs', { SAMLResponse: upstream.b64 }));
    expect(signedIn.statusCode).toBe(303); // to the access portal, with a session
    expect(assertions).toEqual([]);
    const cookie = (signedIn.cookies ?? [])
      .map((c) => c.split(';')[0] as string)
      .find((c) => c.startsWith('__Host-fedgate-session='));
    const token = parseSessionToken(cookie?.slice('__Host-fedgate-session='.length));
    if (!cookie || !token) throw new Error('no session cookie');
    const page = await portal.view(
      apiEvent({
        path: '/',
        routeKey: 'GET /',
        cookies: [cookie],
      } as Partial<APIGatewayProxyEventV2> & {
        path: string;
      }),
    );
    const grants = [...String(page.body).matchAll(/name="grant" value="([^"]+)"/g)].map(
      (m) => m[1] as string,
    );
    expect(grants.length).toBeGreaterThanOrEqual(2);
    const res = await portal.actions.open(
      post(
        '/portal/open',
        { csrf: csrfTokenOf(token), grant: grants[0] as string, target: 'console' },
        [cookie],
      ),
    );
    expect(res.statusCode).toBe(303);
    expect(assertions).toHaveLength(1);
    expect(authnOf(assertions[0] as string)).toEqual({
      instant: iso(upstream.authnInstant),
      classRef: MFA,
    });
  });

  it.each([
    [
      "the IdP's default class (PasswordProtectedTransport): as sent",
      undefined,
      'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
    ],
    [
      'a class that is no absolute URI: not passed on, unspecified',
      'PasswordProtected',
      'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
    ],
  ])('%s; the upstream time goes through', async (_, classRef, expected) => {
    const { endpoint, assertions } = gateway();
    const upstream = upstreamResponse(['developers'], 300, classRef);
    const res = await endpoint.acs(post('/saml/up/acs', { SAMLResponse: upstream.b64 }));
    expect(res.statusCode).toBe(302);
    expect(authnOf(assertions[0] as string)).toEqual({
      instant: iso(upstream.authnInstant),
      classRef: expected,
    });
  });

  it('a 12 h grant on a role whose maximum is 1 h: STS falls back to 1 h, and so does the console session', async () => {
    const { endpoint, consoleRequests } = gateway();
    const upstream = upstreamResponse(['long-sessions'], 60);
    const res = await endpoint.acs(post('/saml/up/acs', { SAMLResponse: upstream.b64 }));
    expect(res.statusCode).toBe(302);
    const getSigninToken = consoleRequests.find(
      (u) => u.searchParams.get('Action') === 'getSigninToken',
    );
    const asked = Number(getSigninToken?.searchParams.get('SessionDuration'));
    expect(asked).toBeGreaterThan(3500);
    expect(asked).toBeLessThanOrEqual(3600);
    // The stand-in console: its session ends no later than the credentials do.
    const { field } = await consolePage(String(res.headers?.location));
    const credentialsExpire = Date.parse(String(field('credentials-expire')));
    const consoleEnds = Date.parse(String(field('console-expires')));
    expect(credentialsExpire - Date.now()).toBeLessThanOrEqual(3600_000);
    expect(consoleEnds).toBeLessThanOrEqual(credentialsExpire + 1000);
  });
});
