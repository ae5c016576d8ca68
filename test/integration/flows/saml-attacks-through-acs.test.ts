import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsStandIns } from '../../../infra/local/aws/index.js';
import { demoSamlIdps } from '../../../infra/local/demo/saml-idps.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import {
  buildSamlCorpus,
  createSamlFixtureEnv,
  IDP_ENTITY_ID,
  type SamlCase,
  type SamlFixtureEnv,
} from '../../support/saml/make-saml-fixtures.js';

/**
 * The attack corpus through the whole gateway (runner → ACS function → verifier), not just the
 * verifier: every refused case answers with its code, carries no Location and no credentials, and
 * makes no STS call (the STS stand-in issues no session).
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
      const clean =
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

  it('accepts the valid shapes end to end (302 to the console), once each', async () => {
    const valid = corpus.filter((c) => c.expect === 'accept');
    expect(valid.length).toBeGreaterThan(0);
    const seen = new Set<string>();
    for (const c of valid) {
      const xml = c.xml ?? Buffer.from(c.samlResponseB64, 'base64').toString('utf8');
      const id = /<(?:\w+:)?Assertion\b[^>]*\sID="([^"]+)"/.exec(xml)?.[1] ?? c.name;
      const res = await post(c);
      // Valid shapes may share an assertion id: the second use is a replay, refused.
      expect.soft([c.name, res.status]).toEqual([c.name, seen.has(id) ? 400 : 302]);
      seen.add(id);
    }
  });
});
