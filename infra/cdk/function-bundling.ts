import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { isFunctionName, MANIFEST } from '../manifest.js';

/** The repository root: entries, package-lock.json and tsconfig.json are found from here. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runtime and architecture of every fedgate function (and the config-as-code handler). */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_22_X;
export const FUNCTION_ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * How every function is bundled: esbuild on this machine (a devDependency, so CDK never reaches
 * for Docker), minified CommonJS for Node 22 with source maps, the AWS SDK clients bundled (only
 * the ones a function imports end up in it, pinned to package-lock.json's versions rather than
 * the runtime's); these are the options test/bench/bundle.bench.ts measures.
 *
 * CommonJS, not ESM, for the cold start: the runtime `require`s a CommonJS handler, and every Node
 * built-in the bundle uses (https, crypto, stream, …) is then a plain `require` instead of an ESM
 * facade that copies the built-in's exports into a module namespace; the ESM loader's module jobs
 * go too. Measured with the same sources bundled both ways, in alternated fresh processes: import
 * over `node -e 0` 5–12 ms less per function (saml-acs 127 → 115 ms here). The sources stay ESM
 * (esbuild reads the SDK's ESM builds either way); nothing in them uses top-level await or
 * `import.meta` (esbuild refuses the first and the bundle tests would catch the second).
 */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.CJS,
  target: 'node22',
  minify: true,
  sourceMap: true,
  // The .map files name files and lines; the sources themselves stay out of the artifact.
  sourcesContent: false,
  bundleAwsSDK: true,
  // The SDK's ESM builds (`module`) tree-shake; with node's default (`main`) esbuild takes the
  // CommonJS ones and keeps whole clients: saml-acs 1,039 → 806 KiB (test/bench/bundle.bench.ts).
  mainFields: ['module', 'main'],
  forceDockerBundling: false,
};

/**
 * ESM bundling for the config-as-code handler, which finds the config shipped beside it through
 * `import.meta.url`; it runs once per deployment, so its cold start does not matter. The banner
 * gives CommonJS dependencies a `require` in the ESM bundle.
 */
export const ESM_FUNCTION_BUNDLING: BundlingOptions = {
  ...FUNCTION_BUNDLING,
  format: OutputFormat.ESM,
  banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
};

/**
 * Whether a function's bundle holds samlify (SP metadata, AuthnRequests): its declaration in
 * infra/manifest.ts (`bundling.samlify`). samlify evaluates XPath, so the real engine stays in
 * those bundles. test/infra/cdk/bundle.test.ts fails if a function bundles samlify without
 * declaring it, or declares it without bundling it.
 */
export const bundlesSamlify = (fn: string): boolean =>
  isFunctionName(fn) && MANIFEST[fn].bundling.samlify;

const SHIMS = join(REPO_ROOT, 'infra', 'runtime', 'shims');

/**
 * Lambda-only substitutes, applied as esbuild aliases (unbundled code — the local runner, the
 * tests — keeps the real packages): the SDK's credential chain → the environment provider alone
 * (infra/runtime/shims/lambda-credentials.ts), and, where samlify is absent, xml-crypto's XPath
 * engine → a stub that throws (infra/runtime/shims/no-xpath.ts). saml-acs 710 → 520 KiB.
 */
export const functionAliases = (fn: string): Record<string, string> => ({
  '@aws-sdk/credential-provider-node': join(SHIMS, 'lambda-credentials.ts'),
  ...(bundlesSamlify(fn) ? {} : { xpath: join(SHIMS, 'no-xpath.ts') }),
});

/** {@link FUNCTION_BUNDLING} plus the function's aliases: what the CDK app bundles `fn` with. */
export const functionBundling = (fn: string): BundlingOptions => ({
  ...FUNCTION_BUNDLING,
  esbuildArgs: Object.fromEntries(
    Object.entries(functionAliases(fn)).map(([from, to]) => [`--alias:${from}`, to]),
  ),
});

/**
 * The same bundling through esbuild's API, for the benchmarks and tests that must measure what
 * is deployed (source maps left out: they do not change the code).
 */
export const functionEsbuildOptions = (fn: string): BuildOptions => ({
  bundle: true,
  minify: FUNCTION_BUNDLING.minify ?? false,
  format: 'cjs',
  platform: 'node',
  target: FUNCTION_BUNDLING.target ?? 'node22',
  mainFields: [...(FUNCTION_BUNDLING.mainFields ?? ['module', 'main'])],
  alias: functionAliases(fn),
  logLevel: 'silent',
});
