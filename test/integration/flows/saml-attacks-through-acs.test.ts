import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsStandIns } from '../../../infra/local/aws/index.js';
import { demoSamlIdps } from '../../../infra/local/demo/saml-idps.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import {
  CONFIRM_COOKIE,
  completeConfirmation,
  SESSION_COOKIE,
  setCookiePair,
} from '../../support/portal-flow.js';
import {
  buildSamlCorpus,
  createSamlFixtureEnv,
  IDP_ENTITY_ID,
  type SamlCase,
  type SamlFixtureEnv,
} from '../../support/saml/make-saml-fixtures.js';

/**
 * The attack corpus through the whole gateway (runner → ACS function → verifier), not just the
 * verifier: every refused case answers with its code, carries no Location, no credentials and no
 * confirmation cookie (nothing is held for the person to confirm), and makes no STS call (the STS
 * stand-in issues no session).
 */
describe('SAML attack corpus through the ACS', () => {
  let env: SamlFixtureEnv;
  let gateway: LocalGateway;
  let corpus: SamlCase[];
  const standIns = awsStandIns();

  beforeAll(async () => {
    env = await createSamlFixtureEnv();
    corpus = buildSamlCorpus(env).filter((c) => !c.idp && !c.input);
    const dir = await mkdtemp(join(tmpdir(), 'fedgate-corpus-'));
    const config = join(dir, 'config.json');
    await writeFile(
      config,
      JSON.stringify({
        version: 1,
        idps: [
          {
            id: 'okta',
            displayName: 'Okta',
            protocol: 'saml',
            saml: { entityId: IDP_ENTITY_ID, signingCertificates: [env.idp.certificatePem] },
            subjectClaim: 'oktaUserId',
            rules: [
              {
                id: 'developers',
                priority: 10,
                effect: 'allow',
                when: [{ claim: 'groups', op: 'contains', value: 'aws-developers' }],
                grant: { roleArn: 'arn:aws:iam::111111111111:role/Developer' },
              },
            ],
          },
        ],
      }),
    );
    // The corpus is addressed to https://sso.example.com: the runner serves it as its public URL.
    gateway = await startLocalGateway({
      port: 0,
      configPath: config,
      plugins: [demoSamlIdps(), ...standIns.plugins],
      publicBaseUrl: 'https://sso.example.com',
      engine: 'dynalite',
    });
  }, 120_000);
  afterAll(() => gateway?.stop());

  const post = (c: SamlCase) =>
    fetch(new URL('/saml/okta/acs', gateway.url), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: c.samlResponseB64 }).toString(),
    });

  it('refuses every attack with its code, no redirect, no credentials and no STS call', async () => {
    const attacks = corpus.filter((c) => c.expect !== 'accept');
    // Refused one layer earlier, by the ACS form parser, before the verifier sees them.
    const atTheForm: Record<string, string> = {
      'parser.oversize.base64': 'invalid_request',
      'parser.empty': 'invalid_request',
    };
    expect(attacks.length).toBeGreaterThan(100);
    const before = standIns.sessions().length;
    const outcomes: string[] = [];
    for (const c of attacks) {
      const res = await post(c);
      const body = await res.text();
      const code = /<code>([a-z_]+)<\/code>/.exec(body)?.[1];
      // Nothing held for a confirmation, no redirect, no credentials.
      const clean =
        setCookiePair(res, CONFIRM_COOKIE) === undefined &&
        res.headers.get('location') === null &&
        !body.includes('ASIALOCAL') &&
        !body.includes('SigninToken');
      outcomes.push(`${c.name}: ${res.status} ${code} ${clean ? 'clean' : 'LEAK'}`);
      expect
        .soft(`${c.name}: ${res.status} ${code} ${clean ? 'clean' : 'LEAK'}`)
        .toBe(`${c.name}: 400 ${atTheForm[c.name] ?? c.expect} clean`);
    }
    expect(standIns.sessions().length).toBe(before);
    expect(outcomes.filter((o) => o.endsWith('LEAK'))).toEqual([]);
  });

  it('accepts the valid shapes end to end (the confirmation, then 302 to the console), once each', async () => {
    // The corpus is IdP-initiated and this IdP keeps the default `idpInitiated: confirm`: an
    // accepted response is held and answered with the confirmation page; Continue completes it.
    const valid = corpus.filter((c) => c.expect === 'accept');
    expect(valid.length).toBeGreaterThan(0);
    const seen = new Set<string>();
    const before = standIns.sessions().length;
    let accepted = 0;
    for (const c of valid) {
      const xml = c.xml ?? Buffer.from(c.samlResponseB64, 'base64').toString('utf8');
      const id = /<(?:\w+:)?Assertion\b[^>]*\sID="([^"]+)"/.exec(xml)?.[1] ?? c.name;
      const res = await post(c);
      // Valid shapes may share an assertion id: the second use is a replay, refused.
      if (seen.has(id)) {
        const code = /<code>([a-z_]+)<\/code>/.exec(await res.text())?.[1];
        expect.soft([c.name, res.status, code]).toEqual([c.name, 400, 'replay_detected']);
        continue;
      }
      seen.add(id);
      expect.soft([c.name, res.status]).toEqual([c.name, 200]);
      if (res.status !== 200) continue;
      const done = await completeConfirmation(gateway.url, res);
      const location = done.headers.get('location') ?? '';
      expect
        .soft([c.name, done.status, new URL(location, gateway.url).pathname])
        .toEqual([c.name, 302, '/_local/federation']);
      expect.soft(setCookiePair(done, SESSION_COOKIE), c.name).toBeDefined();
      accepted++;
    }
    expect(accepted).toBe(seen.size);
    // One STS session per accepted shape: each reached the console once.
    expect(standIns.sessions().length).toBe(before + accepted);
  });
});
