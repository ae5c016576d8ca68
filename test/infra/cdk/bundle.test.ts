import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../infra/cdk/config-as-code/apply-config-event.js';
import { ConfigAsCode } from '../../../infra/cdk/config-as-code/config-as-code.js';
import { bundlesSamlify, functionEsbuildOptions } from '../../../infra/cdk/function-bundling.js';
import { functionCodeProps } from '../../../infra/cdk/gateway-stack.js';
import {
  buildUpstreamResponse,
  signUpstreamResponse,
} from '../../../infra/local/upstream/saml-response.js';
import { FUNCTIONS } from '../../../infra/manifest.js';
import { FUNCTION_MEMORY_MB, lambdaBootstrapNodeArgs } from '../../../infra/runtime/index.js';
import { sampleConfig } from '../../fixtures/gateway-config.sample.js';
import { createTestKeyPair } from '../../kit/keys.js';
import { cdkJsonContext } from './example-app.js';

// Bundles for real (local esbuild, no Docker): one gateway function, with exactly the code
// props every gateway function gets, and the config-as-code handler with its shipped config.
const outdir = mkdtempSync(join(tmpdir(), 'fedgate-bundle-'));
let template: Template;

/** The asset directory of a function's code in the cloud assembly. */
const assetDirOf = (match: (props: Record<string, unknown>) => boolean) => {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')) as {
    Properties: { Code: { S3Key: string }; Description?: string };
  }[];
  const fn = fns.find((f) => match(f.Properties));
  expect(fn).toBeDefined();
  const dir = join(outdir, `asset.${fn!.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  expect(existsSync(dir), dir).toBe(true);
  return dir;
};

/**
 * Loads a bundle in a fresh node process as the Lambda runtime loads a handler — `require` for
 * CommonJS (the gateway functions), `import()` for `.mjs` (the config-as-code handler) — and
 * names its handler's type.
 */
const importHandler = (file: string) =>
  spawnSync(
    process.execPath,
    file.endsWith('.mjs')
      ? [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`,
        ]
      : ['-e', `const m = require(${JSON.stringify(file)}); console.log(typeof m.handler);`],
    {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'eu-west-1',
        ATTRIBUTE_TABLE_NAME: 'fedgate-attributes',
        STATE_TABLE_NAME: 'fedgate-state',
        PUBLIC_BASE_URL: 'https://sso.example.com',
        SIGNING_KEY_REF: 'kms:1234abcd-12ab-34cd-56ef-1234567890ab',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    },
  );

describe('bundling for real', () => {
  beforeAll(() => {
    const app = new App({ outdir, context: cdkJsonContext() });
    const stack = new Stack(app, 'BundleCheck', {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    new NodejsFunction(stack, 'Published', {
      ...functionCodeProps('published'),
      description: 'published',
    });
    new NodejsFunction(stack, 'SamlAcs', {
      ...functionCodeProps('saml-acs'),
      description: 'saml-acs',
    });
    const table = new dynamodb.Table(stack, 'Attributes', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    });
    new ConfigAsCode(stack, 'Config', {
      config: sampleConfig(),
      attributeTable: table,
      logRetention: 7,
    });
    app.synth();
    template = Template.fromStack(stack);
  }, 300_000);

  it('bundles a gateway function as minified CommonJS with a source map and a loadable handler', () => {
    const dir = assetDirOf((p) => p.Description === 'published');
    expect(existsSync(join(dir, 'index.mjs'))).toBe(false);
    const code = readFileSync(join(dir, 'index.js'), 'utf8');
    // CommonJS: module.exports carries the handler; no ESM syntax, no createRequire banner.
    expect(code).toContain('module.exports');
    expect(code).not.toMatch(/^\s*import\s*[{*]|\bexport\s*\{|import\.meta/m);
    // Minified: long lines (the remaining line breaks are inside template literals and licences).
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
    expect(code).toContain('sourceMappingURL=index.js.map');
    const map = JSON.parse(readFileSync(join(dir, 'index.js.map'), 'utf8'));
    expect(map.sources.some((s: string) => s.endsWith('functions/published.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
    // The SDK is bundled, not expected from the runtime: the DynamoDB client published builds
    // (its JSON protocol's target prefix), and no KMS client, which it does not declare
    // (functions/compose's builders fall away when unused).
    expect(code).toContain('DynamoDB_20120810');
    expect(code).not.toContain('TrentService');
    const run = importHandler(join(dir, 'index.js'));
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('function');
  });

  it('ships the exec wrapper, executable, next to the handler; through it the bundle starts with 4 MB semi-spaces', () => {
    const dir = assetDirOf((p) => p.Description === 'published');
    const wrapper = join(dir, 'fedgate-node');
    expect(statSync(wrapper).mode & 0o755).toBe(0o755);
    // As Lambda starts it: the interpreter and the bootstrap's arguments, handed to the wrapper.
    const run = spawnSync(
      wrapper,
      [
        process.execPath,
        ...lambdaBootstrapNodeArgs(FUNCTION_MEMORY_MB),
        '-e',
        `const m = require(${JSON.stringify(join(dir, 'index.js'))}); console.log(typeof m.handler, process.execArgv.filter((a) => a.startsWith('--max-semi')).join());`,
      ],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'eu-west-1',
          ATTRIBUTE_TABLE_NAME: 'fedgate-attributes',
          STATE_TABLE_NAME: 'fedgate-state',
          PUBLIC_BASE_URL: 'https://sso.example.com',
          SIGNING_KEY_REF: 'kms:1234abcd-12ab-34cd-56ef-1234567890ab',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('function --max-semi-space-size=4');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'published',
      MemorySize: FUNCTION_MEMORY_MB,
    });
  });

  it('leaves what Lambda never runs out of a bundle: the credential chain past the environment, and XPath without samlify', () => {
    const acs = readFileSync(
      join(
        assetDirOf((p) => p.Description === 'saml-acs'),
        'index.js',
      ),
      'utf8',
    );
    const published = readFileSync(
      join(
        assetDirOf((p) => p.Description === 'published'),
        'index.js',
      ),
      'utf8',
    );
    // The SDK's default chain (its SSO step, the nested SSO-OIDC client) is not in either.
    for (const code of [acs, published]) {
      expect(code).not.toContain('defaultProvider::fromSSO');
      expect(code).not.toContain('SSOOIDC');
    }
    // xml-crypto's XPath engine: stubbed in saml-acs, real where samlify needs it.
    expect(acs).not.toContain('XPathParser');
    expect(acs).toContain('xpath is not bundled');
    expect(published).toContain('XPathParser');
    const run = importHandler(
      join(
        assetDirOf((p) => p.Description === 'saml-acs'),
        'index.js',
      ),
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('function');
  });

  it('verifies a signed SAML response in a bundle built as saml-acs is (XPath stubbed)', async () => {
    const key = await createTestKeyPair('bundle check IdP');
    const now = Math.floor(Date.now() / 1000);
    const sp = {
      entityId: 'https://sso.example.com/saml/okta/metadata',
      acsUrl: 'https://sso.example.com/saml/okta/acs',
    };
    const xml = signUpstreamResponse(
      buildUpstreamResponse({
        issuer: 'http://www.okta.com/exkbundle',
        audience: sp.entityId,
        acsUrl: sp.acsUrl,
        nameId: 'jane.doe@example.com',
        attributes: { groups: ['aws-admins'] },
        now,
        lifetimeSeconds: 300,
      }),
      { ...key, signAssertion: true, signResponse: false },
    );
    const outfile = join(outdir, 'saml-cold-child.cjs');
    await build({
      ...functionEsbuildOptions('saml-acs'),
      entryPoints: ['test/bench/saml-cold-child.ts'],
      outfile,
    });
    const run = spawnSync(process.execPath, [outfile], {
      encoding: 'utf8',
      input: JSON.stringify({
        samlResponseB64: Buffer.from(xml).toString('base64'),
        certificateB64: key.certificateB64,
        idpEntityId: 'http://www.okta.com/exkbundle',
        spEntityId: sp.entityId,
        acsUrl: sp.acsUrl,
      }),
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ firstMs: expect.any(Number) });
  });

  it('stubs XPath only in functions that do not bundle samlify', async () => {
    for (const fn of FUNCTIONS) {
      const { metafile } = await build({
        ...functionEsbuildOptions(fn),
        alias: {},
        entryPoints: [`functions/${fn}.ts`],
        write: false,
        metafile: true,
      });
      const inputs = Object.keys(metafile.inputs);
      expect(
        // `includes`: a worktree's node_modules may be a link to another checkout's.
        inputs.some((f) => f.includes('node_modules/samlify/')),
        `${fn} bundles samlify: declare bundling.samlify in infra/manifest.ts, or drop it`,
      ).toBe(bundlesSamlify(fn));
    }
  });

  it("keeps zod's English messages (shared/zod.ts has side effects) and the SAML minter out of the OIDC callback", async () => {
    const inputsOf = async (fn: string) => {
      const { metafile, outputFiles } = await build({
        ...functionEsbuildOptions(fn),
        entryPoints: [`functions/${fn}.ts`],
        write: false,
        metafile: true,
      });
      const out = Object.values(metafile.outputs)[0]?.inputs ?? {};
      return {
        inputs: Object.keys(out).filter((f) => (out[f]?.bytesInOutput ?? 0) > 0),
        code: outputFiles[0]?.text ?? '',
      };
    };
    const callback = await inputsOf('oidc-callback');
    // package.json "sideEffects" lets esbuild drop modules nothing uses, their CommonJS requires too.
    expect(
      callback.inputs.filter((f) => f.includes('@xmldom/') || f.includes('xml-crypto')),
    ).toEqual([]);
    // The locale zod's messages come from is configured by shared/zod.ts's top-level call.
    expect(callback.inputs).toContain('shared/zod.ts');
    expect(callback.code).toContain('Too big: expected');
    const acs = await inputsOf('saml-acs');
    expect(acs.inputs.some((f) => f.includes('node_modules/@xmldom/xmldom/'))).toBe(true);
    expect(acs.code).toContain('Too big: expected');
  });

  it("a bundled SDK client takes the execution role's credentials from the environment, and says so when they are absent", async () => {
    const entry = join(outdir, 'credentials-entry.ts');
    writeFileSync(
      entry,
      [
        "import { STSClient } from '@aws-sdk/client-sts';",
        "const client = new STSClient({ region: 'eu-west-1' });",
        // No top-level await: the entry is bundled as CommonJS, as the functions are.
        'client.config.credentials().then(',
        '  (c) => console.log(JSON.stringify({ id: c.accessKeyId, token: c.sessionToken })),',
        '  (err) => console.log(JSON.stringify({ error: err.name, message: err.message })),',
        ');',
        '',
      ].join('\n'),
    );
    const outfile = join(outdir, 'credentials-entry.cjs');
    await build({
      ...functionEsbuildOptions('saml-acs'),
      entryPoints: [entry],
      outfile,
      absWorkingDir: process.cwd(),
      nodePaths: [join(process.cwd(), 'node_modules')],
    });
    expect(readFileSync(outfile, 'utf8')).not.toContain('defaultProvider::fromSSO');
    const env = {
      PATH: process.env.PATH,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const withRole = spawnSync(process.execPath, [outfile], {
      encoding: 'utf8',
      env: {
        ...env,
        AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE12',
        AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
        AWS_SESSION_TOKEN: 'token-from-the-execution-role',
      },
    });
    expect(JSON.parse(withRole.stdout)).toEqual({
      id: 'ASIAEXAMPLEEXAMPLE12',
      token: 'token-from-the-execution-role',
    });
    const without = spawnSync(process.execPath, [outfile], { encoding: 'utf8', env });
    expect(JSON.parse(without.stdout)).toMatchObject({
      error: 'CredentialsProviderError',
      message: expect.stringMatching(/environment variable credentials/),
    });
  });

  it('ships the validated config next to the config-as-code handler, matching the resource hash', () => {
    const dir = assetDirOf((p) => String(p.Description).startsWith('fedgate config as code'));
    const shipped = readFileSync(join(dir, 'gateway-config.json'), 'utf8');
    expect(JSON.parse(shipped)).toEqual(JSON.parse(JSON.stringify(sampleConfig())));
    template.hasResourceProperties('Custom::FedgateGatewayConfig', {
      ConfigSha256: sha256Hex(shipped),
    });
    const run = importHandler(join(dir, 'index.mjs'));
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('function');
  });
});
