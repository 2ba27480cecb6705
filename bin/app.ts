#!/usr/bin/env node
// The CDK app: one stack for the stage named by `-c stage=NAME` (default dev), configured from cdk.json.
import { App } from 'aws-cdk-lib';
import { STAGES_CONTEXT_KEY, StageConfigError, loadStageConfig } from '../lib/stage-config.js';
import { TradeAnomalyStack, stackIdFor } from '../lib/trade-anomaly-stack.js';

const DEFAULT_STAGE = 'dev';

const app = new App();
const stageContext: unknown = app.node.tryGetContext('stage');
const stage = typeof stageContext === 'string' && stageContext !== '' ? stageContext : DEFAULT_STAGE;

let config;
try {
  config = loadStageConfig(app.node.tryGetContext(STAGES_CONTEXT_KEY), stage);
} catch (e: unknown) {
  if (e instanceof StageConfigError) {
    // A config mistake is the user's to fix: the message says what and where; a stack trace adds nothing.
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
  throw e;
}

new TradeAnomalyStack(app, stackIdFor(stage), {
  config,
  // Environment-agnostic unless the CLI knows the account/region (it does on deploy with credentials).
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
