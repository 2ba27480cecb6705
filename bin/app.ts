#!/usr/bin/env node
// The CDK app: one stack for the stage named by `-c stage=NAME` (default dev), configured from cdk.json.
// `-c stage=all` synthesizes every stage at once (CI); `cdk deploy` then refuses to act without a stack
// name or --all, so it cannot deploy every stage by accident.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { STAGES_CONTEXT_KEY, StageConfigError, knownStages, loadStageConfig, type StageConfig } from '../lib/stage-config.js';
import { TradeAnomalyStack, stackIdFor } from '../lib/trade-anomaly-stack.js';

const DEFAULT_STAGE = 'dev';
const ALL_STAGES = 'all';

const app = new App();
const stageContext: unknown = app.node.tryGetContext('stage');
const stage = typeof stageContext === 'string' && stageContext !== '' ? stageContext : DEFAULT_STAGE;
const stagesContext: unknown = app.node.tryGetContext(STAGES_CONTEXT_KEY);

let configs: StageConfig[];
try {
  if (knownStages(stagesContext).includes(ALL_STAGES)) {
    throw new StageConfigError(`"${ALL_STAGES}" cannot be a stage name: -c stage=${ALL_STAGES} means every stage.`);
  }
  const names = stage === ALL_STAGES ? knownStages(stagesContext) : [stage];
  configs = names.map((name) => loadStageConfig(stagesContext, name));
} catch (e: unknown) {
  if (e instanceof StageConfigError) {
    // A config mistake is the user's to fix: the message says what and where; a stack trace adds nothing.
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
  throw e;
}

for (const config of configs) {
  new TradeAnomalyStack(app, stackIdFor(config.stage), {
    config,
    // Environment-agnostic unless the CLI knows the account/region (it does on deploy with credentials).
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
}

// cdk-nag's AWS Solutions checks run on every synth (and so before every deploy): a finding that is
// neither fixed nor acknowledged with a reason (lib/nag.ts) fails the synth with a validation report.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
