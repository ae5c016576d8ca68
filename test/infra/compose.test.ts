import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  attributesOf,
  awsAccessOf,
  type Composition,
  clientAuthenticatorOf,
  compose,
  deprovisioningOf,
  directoryStoreOf,
  dynamoOf,
  killSwitchOf,
  onlyRouteOf,
  replayOf,
  routesOf,
  secretResolverOf,
  sessionsOf,
  signInOf,
  signingKeysOf,
  stateOf,
  unusedPortOf,
} from '../../functions/compose/index.js';
import { type FunctionManifest, MANIFEST } from '../../infra/manifest.js';
import type { StateStore } from '../../shared/store/index.js';

// functions/compose builds what a function declares in infra/manifest.ts and nothing else: the
// other builders fail the function's cold start, naming the manifest field. TypeScript refuses
// the KMS, secrets and attribute-table builders for a function that does not declare them (each
// expected type error below fails `tsc` if that ever stops), and the runtime check holds for all.

const env = {
  ATTRIBUTE_TABLE_NAME: 'fedgate-attributes',
  STATE_TABLE_NAME: 'fedgate-state',
  PUBLIC_BASE_URL: 'https://sso.example.com',
  AWS_REGION: 'eu-west-1',
  SIGNING_KEY_REF: 'kms:1234abcd-12ab-34cd-56ef-1234567890ab',
};
const as = <N extends keyof typeof MANIFEST>(name: N) => compose(name, { env });
const withManifest = (name: string, manifest: FunctionManifest) => compose(name, { env, manifest });

describe('compose: a function builds what it declares', () => {
  it('composes every declared function, and no undeclared one', () => {
    for (const fn of Object.keys(MANIFEST) as (keyof typeof MANIFEST)[]) {
      expect(as(fn).manifest).toBe(MANIFEST[fn]);
    }
    // @ts-expect-error: not a declared function
    expect(() => compose('select-role', { env })).toThrow(
      'infra/manifest.ts declares no function select-role',
    );
  });

  it('fails the cold start of a function that builds KMS, secrets or the attribute table undeclared (TypeScript refuses it first)', () => {
    // @ts-expect-error: home declares no kms.fedgateKeys
    expect(() => signingKeysOf(as('home'))).toThrow(
      "functions/home.ts builds fedgate's signing keys, but infra/manifest.ts does not declare kms.fedgateKeys for home",
    );
    // @ts-expect-error: published signs nothing (its keys' documents are published-keys')
    expect(() => awsAccessOf(as('published'))).toThrow(
      /does not declare kms\.fedgateKeys for published/,
    );
    // @ts-expect-error: saml-acs resolves no OIDC client secret
    expect(() => secretResolverOf(as('saml-acs'))).toThrow(/does not declare secrets for saml-acs/);
    // @ts-expect-error: portal signs no client assertion
    expect(() => clientAuthenticatorOf(as('portal'))).toThrow(/kms\.clientKeys|secrets/);
    // @ts-expect-error: published-keys reads no table
    expect(() => attributesOf(as('published-keys'))).toThrow(
      "does not declare attributes: 'read' for published-keys",
    );
  });

  it('fails the cold start of a function that builds a state capability it did not declare', () => {
    expect(() => dynamoOf(as('published-keys'))).toThrow(
      /a DynamoDB client.*attributes, attributeItems or state/,
    );
    expect(() => stateOf(as('published'))).toThrow(
      /the state store.*any state access for published/,
    );
    expect(() => replayOf(as('portal'))).toThrow(/the replay cache.*state\.put REPLAY# for portal/);
    expect(() => sessionsOf(as('saml-login'))).toThrow(
      /session service.*state SESSION# for saml-login/,
    );
    // home reads sessions but may not start one.
    const access = {} as ReturnType<typeof awsAccessOf>;
    expect(() => signInOf(as('home'), { access })).toThrow(
      /sign-in completion.*state\.put SESSION#/,
    );
    // A declaration without the prefix fails the same composition that passes with it.
    const noReplay = withManifest('saml-acs', {
      ...MANIFEST['saml-acs'],
      state: { ...MANIFEST['saml-acs'].state, put: ['CONFIRM#', 'SESSION#'] },
    });
    expect(() => replayOf(noReplay)).toThrow(/state\.put REPLAY# for saml-acs/);
    expect(replayOf(as('saml-acs'))).toBeDefined();
  });

  it('builds the directory, deprovisioning, SCIM tokens and the kill switch for scim only', () => {
    expect(() => directoryStoreOf(as('saml-acs'))).toThrow(
      /builds the directory store, but infra\/manifest\.ts does not declare attributeItems read, put, update, delete and batchWrite DIR# for saml-acs/,
    );
    expect(() => deprovisioningOf(as('portal'))).toThrow(/deprovisioning.*state\.put REVOKED#/);
    // @ts-expect-error: portal applies no kill switch
    expect(() => killSwitchOf(as('portal'))).toThrow(/does not declare killSwitch for portal/);
    const scim = as('scim');
    expect(directoryStoreOf(scim)).toBe(directoryStoreOf(scim));
    expect(deprovisioningOf(scim)).toBeDefined();
    expect(killSwitchOf(scim)).toBeDefined();
    // Its bearer tokens resolve like OIDC client secrets (the role reads only the SCIM tokens).
    expect(secretResolverOf(scim)).toBeDefined();
    // A directory write declared without its batch (or the reverse) cannot build the store.
    const noBatch = withManifest('scim', {
      ...MANIFEST.scim,
      attributeItems: { ...MANIFEST.scim.attributeItems, batchWrite: [] },
    });
    expect(() => directoryStoreOf(noBatch)).toThrow(/batchWrite DIR# for scim/);
  });

  it('joins the directory only for a function that declares its read; sessions need it', () => {
    expect(attributesOf(as('portal')).joinDirectory).toBeTypeOf('function');
    expect(attributesOf(as('published')).joinDirectory).toBeUndefined();
    // The same function's declaration without the directory read.
    const blind = withManifest('portal', {
      ...MANIFEST.portal,
      attributeItems: { ...MANIFEST.portal.attributeItems, read: [] },
    }) as Composition<typeof MANIFEST.portal>;
    expect(attributesOf(blind).joinDirectory).toBeUndefined();
    expect(() => sessionsOf(blind)).toThrow(
      /the session service.*attributeItems\.read DIR# for portal/,
    );
  });

  it('builds each client once per composition, naming the function in its user agent', async () => {
    const fn = as('portal');
    expect(dynamoOf(fn)).toBe(dynamoOf(fn));
    expect(stateOf(fn)).toBe(stateOf(fn));
    expect(dynamoOf(fn).config.customUserAgent).toEqual([['fedgate-fn', 'portal']]);
    // Another composition (a test's, another function's) gets its own.
    expect(dynamoOf(as('portal'))).not.toBe(dynamoOf(fn));
  });
});

describe('compose: routes', () => {
  const event = (routeKey: string) => ({ routeKey }) as APIGatewayProxyEventV2;
  const answer = (body: string) => async () => ({ statusCode: 200, headers: {}, body });

  it('takes exactly the declared routes, and refuses a table that differs at cold start', async () => {
    const fn = as('published');
    const route = routesOf(fn, {
      'GET /saml/{idp}/metadata': answer('sp'),
      'GET /.well-known/openid-configuration': answer('discovery'),
    });
    await expect(route(event('GET /.well-known/openid-configuration'))).resolves.toMatchObject({
      body: 'discovery',
    });
    expect(() => route(event('$default'))).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() =>
      routesOf(fn, {
        'GET /saml/{idp}/metadata': answer('sp'),
        'GET /.well-known/openid-configuration': answer('discovery'),
        'GET /aws/saml-metadata.xml': answer('keys'),
      }),
    ).toThrow(/infra\/manifest\.ts declares GET \/\.well-known\/openid-configuration, GET \/saml/);
    expect(() => routesOf(fn, { 'GET /saml/{idp}/metadata': answer('sp') })).toThrow(
      /functions\/published\.ts routes GET \/saml\/\{idp\}\/metadata;/,
    );
  });

  it('sends other route keys to the fallback when one is given (the OIDC callback), and one-route functions take every key', async () => {
    const fn = as('oidc-callback');
    const route = routesOf(
      fn,
      {
        'GET /oidc/{idp}/callback': answer('callback'),
        'GET /oidc/{idp}/jwks.json': answer('jwks'),
      },
      answer('fallback'),
    );
    await expect(route(event('GET /oidc/{idp}/jwks.json'))).resolves.toMatchObject({
      body: 'jwks',
    });
    await expect(route(event('$default'))).resolves.toMatchObject({ body: 'fallback' });
    const one = onlyRouteOf(as('saml-acs'), answer('acs'));
    await expect(one(event('$default'))).resolves.toMatchObject({ body: 'acs' });
    expect(() => onlyRouteOf(as('portal'), answer('x'))).toThrow(/serves one route/);
  });

  it('rejects every call of a port a function takes but must not use, with the manifest field to declare', async () => {
    const fn: Composition = as('published');
    const state = unusedPortOf<StateStore>(fn, 'the state store', 'any state access');
    await expect(state.get('SESSION#x')).rejects.toThrow(
      'functions/published.ts builds the state store, but infra/manifest.ts does not declare any state access for published',
    );
    // Not a thenable: awaiting the port itself does not call it.
    await expect(Promise.resolve(state)).resolves.toBe(state);
  });
});
