import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../infra/cdk/config-as-code/apply-config-event.js';
import { ConfigAsCode } from '../../../infra/cdk/config-as-code/config-as-code.js';
import { functionCodeProps } from '../../../infra/cdk/gateway-stack.js';
import { FUNCTION_MEMORY_MB, lambdaBootstrapNodeArgs } from '../../../infra/runtime/index.js';
import { sampleConfig } from '../../fixtures/gateway-config.sample.js';
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

/** Imports a bundle in a fresh node process, as the Lambda runtime would, and names its handler's type. */
const importHandler = (file: string) =>
  spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(file)}); console.log(typeof m.handler);`,
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

  it('bundles a gateway function as minified ESM with a source map and a loadable handler', () => {
    const dir = assetDirOf((p) => p.Description === 'published');
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    // The createRequire banner first, then ESM: an export statement, no CommonJS wrapper.
    expect(code.startsWith("import{createRequire as __cr}from'module';")).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    expect(code).not.toMatch(/^\s*"use strict";\s*module\.exports/);
    // Minified: long lines (the remaining line breaks are inside template literals and licences).
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
    expect(code).toContain('sourceMappingURL=index.mjs.map');
    const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8'));
    expect(map.sources.some((s: string) => s.endsWith('functions/published.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
    // The SDK is bundled, not expected from the runtime.
    expect(code).toContain('GetPublicKey');
    const run = importHandler(join(dir, 'index.mjs'));
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
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(dir, 'index.mjs'))}); console.log(typeof m.handler, process.execArgv.filter((a) => a.startsWith('--max-semi')).join());`,
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
