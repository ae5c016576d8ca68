/**
 * What minting costs: an AWS SAML Response (build, exclusive c14n of the Assertion, digest,
 * SignedInfo c14n, RSA-2048 signature through the async Signer port, self-verification) with the
 * local signer, next to the raw node:crypto RSA-2048 sign of the same SignedInfo bytes: the floor
 * no minter can beat. The difference is what fedgate adds. Target: ≤ 0.5 ms median per mint.
 */
import { createPrivateKey, sign } from 'node:crypto';
import {
  buildAwsIdpMetadata,
  createAwsSamlMinter,
  createLocalSigningKeys,
  type PublishedKey,
} from '../../shared/issuer/index.js';
import {
  GLOBAL_RECIPIENT,
  ISSUER,
  NAME_ID,
  sampleGrant,
  testKeyMaterials,
} from '../support/issuer/fixtures.js';
import { type BenchSuite, printFigures, printResults, runCase } from './harness.js';

const fiftyTags = sampleGrant({
  tags: Array.from({ length: 50 }, (_, i) => ({ key: `tag${i}`, value: `value-${i}`.repeat(8) })),
  transitiveTagKeys: ['tag0', 'tag1'],
});

export const suite: BenchSuite = {
  title: 'issuer',
  run: async () => {
    const [active, next] = await testKeyMaterials();
    const signingKeys = createLocalSigningKeys({ keys: [active, next] });
    const minter = createAwsSamlMinter({ signingKeys, issuerEntityId: ISSUER });
    const input = { grant: sampleGrant(), recipient: GLOBAL_RECIPIENT, nameId: NAME_ID };
    const sample = await minter.mint({ ...input, now: Date.now() });
    const big = await minter.mint({ ...input, grant: fiftyTags, now: Date.now() });
    // The exact bytes the minter signs: the canonical SignedInfo, about 800 bytes.
    const signedInfo = Buffer.from(
      (/<ds:SignedInfo>.*<\/ds:SignedInfo>/.exec(sample.xml)?.[0] ?? '').replace(
        '<ds:SignedInfo>',
        '<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">',
      ),
    );
    const privateKey = createPrivateKey(active.privateKeyPem);
    const published: readonly PublishedKey[] = await signingKeys.published();

    const note = '3 tags, 2 transitive, source identity';
    const results = [
      await runCase({
        name: 'node:crypto RSA-2048 sign (floor)',
        iterations: 50,
        fn: () => sign('sha256', signedInfo, privateKey),
        note: `${signedInfo.length} bytes of SignedInfo`,
      }),
      await runCase({
        name: 'mint AWS SAML response (local signer)',
        iterations: 50,
        fn: () => minter.mint({ ...input, now: Date.now() }),
        note,
      }),
      await runCase({
        name: 'mint AWS SAML response, 50 tags',
        iterations: 20,
        fn: () => minter.mint({ ...input, grant: fiftyTags, now: Date.now() }),
        note: '50 tags of ~70 characters',
      }),
      await runCase({
        name: 'buildAwsIdpMetadata (2 keys)',
        iterations: 50,
        fn: () => buildAwsIdpMetadata({ entityId: ISSUER, keys: published }),
      }),
    ];
    printResults('issuer', results);
    const [floor, mint, mintBig] = results.map((r) => r.median) as [number, number, number];
    printFigures('issuer: derived', [
      { name: 'mint overhead over the RSA sign (median)', value: mint - floor, unit: 'ms' },
      { name: 'mint / RSA sign (median)', value: mint / floor, unit: 'x' },
      { name: 'mint overhead, 50 tags (median)', value: mintBig - floor, unit: 'ms' },
      { name: 'mints per second, one core (median)', value: 1000 / mint, unit: 'mints/s' },
      {
        name: 'SAMLResponse size (3 tags)',
        value: sample.samlResponseB64.length,
        unit: 'base64 chars',
      },
      {
        name: 'SAMLResponse size (50 tags)',
        value: big.samlResponseB64.length,
        unit: 'base64 chars',
        note: 'AWS limit 100,000',
      },
    ]);
  },
};
