import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { loadStageGatewayConfig } from '../../../infra/cdk/fedgate-app.js';
import { STAGES } from '../../../infra/cdk/stages.js';
import { synthStage } from './example-app.js';

const stage = STAGES.example!;

describe('cdk-nag AwsSolutions', () => {
  it('passes the whole example stage: every finding is fixed or acknowledged with a reason', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'fedgate-nag-'));
    const { app } = await synthStage(stage, { outdir });
    expect(() => app.synth()).not.toThrow();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    // CDK lists only plugins with findings; the next test shows AwsSolutions does report.
    expect(report.pluginReports).toEqual([]);
  });

  it('fails the synth on an unacknowledged finding (the check has teeth)', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'fedgate-nag-'));
    const { app, gateway } = await synthStage(stage, { outdir });
    new sns.Topic(gateway as Stack, 'PlainTopic'); // no SSL enforcement, no encryption
    expect(() => app.synth()).toThrow(/AwsSolutions-SNS3/);
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    const rules = report.pluginReports[0].violations.map((v: { ruleName: string }) => v.ruleName);
    expect(rules).toEqual(['AwsSolutions-SNS3']);
    expect(report.pluginReports[0].conclusion).toBe('failure');
  });
});

describe('an invalid gateway config fails the synth', () => {
  const badConfig = () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedgate-badcfg-'));
    const file = join(dir, 'gateway-config.yaml');
    const text = readFileSync('infra/cdk/example/gateway-config.yaml', 'utf8').replace(
      'roleArn: arn:aws:iam::210987654321:role/fedgate-department-data\n          label: Department data (S3',
      'roleArn: arn:aws:iam::2109876:role/typo\n          label: Department data (S3',
    );
    writeFileSync(file, text);
    return file;
  };

  it('loadStageGatewayConfig rejects with the path of the bad value', async () => {
    const file = badConfig();
    await expect(
      loadStageGatewayConfig({ ...stage, gatewayConfigFile: file }),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining(file),
      issues: [expect.objectContaining({ path: 'idps[0].rules[0].grant.roleArn' })],
    });
  });

  it('the CDK app exits non-zero naming the file and the path, and writes no template', () => {
    const file = badConfig();
    const outdir = mkdtempSync(join(tmpdir(), 'fedgate-cdkout-'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/cdk/app.ts'], {
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({
          gatewayConfigFile: file,
          'aws:cdk:bundling-stacks': [],
        }),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      `fedgate: the gateway config file ${file} (stage example) is invalid`,
    );
    expect(run.stderr).toContain('idps[0].rules[0].grant.roleArn: not an IAM role ARN');
    expect(run.stderr).not.toContain('    at '); // no stack trace
    expect(readdirSync(outdir).filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });

  it('the same app with the valid example config writes all four templates', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'fedgate-cdkout-'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/cdk/app.ts'], {
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    for (const name of [
      'fedgate-example-data',
      'fedgate-example-gateway',
      'fedgate-example-trust-123456789012-eu-west-1',
      'fedgate-example-trust-210987654321-eu-west-1',
    ]) {
      expect(existsSync(join(outdir, `${name}.template.json`)), name).toBe(true);
    }
  });
});
