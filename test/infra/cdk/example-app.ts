import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import {
  addFedgateStage,
  type FedgateStacks,
  loadStageGatewayConfig,
} from '../../../infra/cdk/fedgate-app.js';
import type { StageConfig } from '../../../infra/cdk/stage-config.js';

/** The context cdk.json gives the CLI, so tests synthesize what `npx cdk synth` does. */
export const cdkJsonContext = (): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')).context;

/**
 * A stage's app as app.ts builds it, with bundling skipped (`aws:cdk:bundling-stacks: []`) unless
 * `bundle` names the stacks to bundle.
 */
export const synthStage = async (
  stage: StageConfig,
  {
    nag = true,
    bundle = [] as string[],
    outdir,
  }: { nag?: boolean; bundle?: string[]; outdir?: string } = {},
): Promise<{ app: App } & FedgateStacks> => {
  const app = new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': bundle },
    ...(outdir ? { outdir } : {}),
  });
  const stacks = addFedgateStage(app, stage, await loadStageGatewayConfig(stage), { nag });
  return { app, ...stacks };
};
