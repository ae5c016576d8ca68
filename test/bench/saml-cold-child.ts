/**
 * The entry that saml.bench.ts bundles with the functions' own esbuild options
 * (infra/cdk/function-bundling.ts) and runs in fresh processes, started as Lambda starts fedgate:
 * the cold cost of fedgate's verifier as deployed, not as tsx loads the TypeScript sources.
 * Reads the fixture (response, certificate, entity ids) as JSON on stdin; prints one JSON line:
 * `{ loadMs, compileMs, firstMs, secondMs }`. No top-level await: it is bundled as CommonJS, as
 * the functions are.
 */
const main = async () => {
  const started = performance.now();
  const [{ IdpConfigSchema }, { createSamlVerifier }] = await Promise.all([
    import('../../shared/config/index.js'),
    import('../../shared/saml/index.js'),
  ]);
  const loaded = performance.now();

  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const f = JSON.parse(Buffer.concat(chunks).toString()) as {
    samlResponseB64: string;
    certificateB64: string;
    idpEntityId: string;
    spEntityId: string;
    acsUrl: string;
  };

  const compileStart = performance.now();
  const idp = IdpConfigSchema.parse({
    id: 'okta',
    displayName: 'Okta',
    protocol: 'saml',
    saml: { entityId: f.idpEntityId, signingCertificates: [f.certificateB64] },
  });
  if (idp.protocol !== 'saml') throw new Error('unreachable');
  const verifier = createSamlVerifier({ idp });
  const t1 = performance.now();
  const verify = () =>
    verifier.verify({
      samlResponseB64: f.samlResponseB64,
      acsUrl: f.acsUrl,
      spEntityId: f.spEntityId,
      now: Math.floor(Date.now() / 1000),
    });
  verify();
  const t2 = performance.now();
  verify();
  const t3 = performance.now();
  process.stdout.write(
    `${JSON.stringify({
      loadMs: loaded - started,
      compileMs: t1 - compileStart,
      firstMs: t2 - t1,
      secondMs: t3 - t2,
    })}\n`,
  );
};

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
