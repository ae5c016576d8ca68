import { App } from 'aws-cdk-lib';
import { ConfigError } from '../../shared/config/index.js';
import { addFedgateStage, loadStageGatewayConfig } from './fedgate-app.js';
import { STAGES } from './stages.js';

// The only place that reads CDK context: `npx cdk synth -c stage=<name>` (default: example).
const app = new App();
const stageName = String(app.node.tryGetContext('stage') ?? 'example');
const known = STAGES[stageName];
if (!known) {
  // One line for the person who typed -c stage=…: a stack trace would only bury it.
  process.stderr.write(
    `fedgate: unknown stage "${stageName}"; known: ${Object.keys(STAGES).join(', ')} (infra/cdk/stages.ts)\n`,
  );
  process.exit(1);
}
// `-c gatewayConfigFile=<path>` checks a candidate config against a stage before it is committed.
const configOverride = app.node.tryGetContext('gatewayConfigFile');
const stage =
  typeof configOverride === 'string' ? { ...known, gatewayConfigFile: configOverride } : known;
// An invalid gateway config file stops the synth here, naming the file and each bad path.
const gatewayConfig = await loadStageGatewayConfig(stage).catch((err: unknown) => {
  if (!(err instanceof ConfigError)) throw err;
  // The issues are the message: a stack trace would only bury them.
  process.stderr.write(`fedgate: ${err.message}\n`);
  process.exit(1);
});
addFedgateStage(app, stage, gatewayConfig);
app.synth();
