import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

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
