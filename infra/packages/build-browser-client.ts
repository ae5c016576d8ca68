/**
 * `npm run build:browser-client [-- --pack]`: shared/browser-client/fedgate-client.ts as an
 * installable ESM package with its type declarations, in dist/browser-client/ (with --pack also
 * dist/fedgate-browser-client-<version>.tgz), so an SPA installs it
 * (`npm install ./fedgate-browser-client-<version>.tgz`, or from an internal registry) and its
 * bundler takes it from there, instead of copying the file. The client's source is packaged as
 * it is; this script adds nothing to it.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';
import { type BuiltPackage, packPackage, REPO_ROOT } from './build-cli.js';

const SOURCE = 'shared/browser-client/fedgate-client.ts';

const README = (version: string) => `# fedgate browser client ${version}

The browser side of fedgate's SPA hand-off: sign a person in through fedgate (OIDC with PKCE),
then get and refresh AWS credentials in the page, without any credential in a URL.

    npm install ./fedgate-browser-client-${version}.tgz

\`\`\`ts
import { createFedgateClient } from 'fedgate-browser-client';
const fedgate = createFedgateClient({ gatewayUrl: 'https://sso.example.com', clientId: 'my-app',
  idp: 'okta', redirectUri: 'https://app.example.com/auth/callback' });
await fedgate.handleRedirect();
if (!(await fedgate.isSignedIn())) await fedgate.login();
const s3 = new S3Client({ region: 'eu-west-1', credentials: fedgate.credentialProvider() });
\`\`\`

ES module with TypeScript declarations; no dependencies; web platform APIs only.
`;

/**
 * Builds the package: `index.js` (ES2020 module, not minified: an app's bundler minifies),
 * `index.d.ts` (declarations from the TypeScript compiler), package.json with `exports`, README.
 * @throws when the client imports anything (it must stay dependency-free) or does not compile.
 */
export const buildBrowserClientPackage = async (
  outDir = join(REPO_ROOT, 'dist', 'browser-client'),
): Promise<BuiltPackage> => {
  const version = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'index.js');
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [SOURCE],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2020',
    outfile: file,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  if (inputs.length !== 1 || inputs[0] !== SOURCE) {
    throw new Error(`the browser client must import nothing, but bundles ${inputs.join(', ')}`);
  }

  const program = ts.createProgram([join(REPO_ROOT, SOURCE)], {
    declaration: true,
    emitDeclarationOnly: true,
    outDir,
    rootDir: join(REPO_ROOT, 'shared', 'browser-client'),
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2020.d.ts', 'lib.dom.d.ts'],
    strict: true,
    skipLibCheck: true,
    types: [],
  });
  const emitted = program.emit();
  const problems = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (emitted.emitSkipped || problems.length > 0) {
    throw new Error(
      `the browser client's declarations did not compile:\n${ts.formatDiagnostics(problems, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => REPO_ROOT,
        getNewLine: () => '\n',
      })}`,
    );
  }
  renameSync(join(outDir, 'fedgate-client.d.ts'), join(outDir, 'index.d.ts'));

  writeFileSync(
    join(outDir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'fedgate-browser-client',
        version,
        description: "fedgate's browser client for single-page apps: sign-in and AWS credentials.",
        license: 'Apache-2.0',
        type: 'module',
        exports: { '.': { types: './index.d.ts', import: './index.js', default: './index.js' } },
        module: './index.js',
        types: './index.d.ts',
        sideEffects: false,
        files: ['index.js', 'index.d.ts', 'README.md'],
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(join(outDir, 'README.md'), README(version));
  return {
    dir: outDir,
    name: 'fedgate-browser-client',
    version,
    file,
    bytes: statSync(file).size,
  };
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const built = await buildBrowserClientPackage();
  console.log(`${built.file}: ${(built.bytes / 1024).toFixed(1)} KiB`);
  if (process.argv.includes('--pack')) {
    console.log(packPackage(built.dir, join(REPO_ROOT, 'dist')));
  }
}
