import { App } from 'aws-cdk-lib';
import { addFedgateStage, loadStageGatewayConfig } from './fedgate-app.js';
import { STAGES } from './stages.js';

// The only place that reads CDK context: `npx cdk synth -c stage=<name>` (default: example).
const app = new App();
const stageName = String(app.node.tryGetContext('stage') ?? 'example');
const stage = STAGES[stageName];
if (!stage) {
  throw new Error(`unknown stage "${stageName}"; known: ${Object.keys(STAGES).join(', ')}`);
}
// An invalid gateway config file stops the synth here, naming the file and each bad path.
const gatewayConfig = await loadStageGatewayConfig(stage);
addFedgateStage(app, stage, gatewayConfig);
app.synth();
