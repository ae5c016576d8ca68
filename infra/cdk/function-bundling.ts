import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The repository root: entries, package-lock.json and tsconfig.json are found from here. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runtime and architecture of every fedgate function (and the config-as-code handler). */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_22_X;
export const FUNCTION_ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * How every function is bundled: esbuild on this machine (a devDependency, so CDK never reaches
 * for Docker), minified ESM for Node 22 with source maps, the AWS SDK clients bundled (only the
 * ones a function imports end up in it, pinned to package-lock.json's versions rather than the
 * runtime's). The banner gives CommonJS dependencies (samlify, parts of the SDK) a `require` in
 * the ESM bundle; these are the options test/bench/bundle.bench.ts measures.
 */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  minify: true,
  sourceMap: true,
  // The .map files name files and lines; the sources themselves stay out of the artifact.
  sourcesContent: false,
  bundleAwsSDK: true,
  // The SDK's ESM builds (`module`) tree-shake; with node's default (`main`) esbuild takes the
  // CommonJS ones and keeps whole clients: saml-acs 1,039 → 806 KiB (test/bench/bundle.bench.ts).
  mainFields: ['module', 'main'],
  banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
  forceDockerBundling: false,
};

/**
 * Functions whose bundle holds samlify (SP metadata, AuthnRequests): samlify evaluates XPath, so
 * the real engine stays in them. test/infra/cdk/bundle.test.ts fails if a function not listed
 * here ever bundles samlify.
 */
export const SAMLIFY_FUNCTIONS: ReadonlySet<string> = new Set(['saml-login', 'published']);

const SHIMS = join(REPO_ROOT, 'infra', 'runtime', 'shims');

/**
 * Lambda-only substitutes, applied as esbuild aliases (unbundled code — the local runner, the
 * tests — keeps the real packages): the SDK's credential chain → the environment provider alone
 * (infra/runtime/shims/lambda-credentials.ts), and, where samlify is absent, xml-crypto's XPath
 * engine → a stub that throws (infra/runtime/shims/no-xpath.ts). saml-acs 710 → 520 KiB.
 */
export const functionAliases = (fn: string): Record<string, string> => ({
  '@aws-sdk/credential-provider-node': join(SHIMS, 'lambda-credentials.ts'),
  ...(SAMLIFY_FUNCTIONS.has(fn) ? {} : { xpath: join(SHIMS, 'no-xpath.ts') }),
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
  format: 'esm',
  platform: 'node',
  target: FUNCTION_BUNDLING.target ?? 'node22',
  mainFields: [...(FUNCTION_BUNDLING.mainFields ?? ['module', 'main'])],
  banner: { js: FUNCTION_BUNDLING.banner ?? '' },
  alias: functionAliases(fn),
  logLevel: 'silent',
});
