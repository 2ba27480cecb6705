import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Alerts } from './constructs/alerts.js';
import { Pipeline } from './constructs/pipeline.js';
import { Storage } from './constructs/storage.js';
import type { StageConfig } from './stage-config.js';

export interface TradeAnomalyStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The stack's id (and CloudFormation name) for a stage: `dev` -> `TradeAnomaly-Dev`. */
export function stackIdFor(stage: string): string {
  const words = stage.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return `TradeAnomaly-${words.join('-')}`;
}

/** One stage of the trade anomaly pipeline: data bucket, alert topic, functions and state machine. */
export class TradeAnomalyStack extends Stack {
  readonly storage: Storage;
  readonly alerts: Alerts;
  readonly pipeline: Pipeline;

  constructor(scope: Construct, id: string, props: TradeAnomalyStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, {
      description: `Trade anomaly pipeline (${config.stage}): flags anomalous trades in each daily trade file`,
      ...stackProps,
    });
    Tags.of(this).add('project', 'trade-anomaly');
    Tags.of(this).add('stage', config.stage);

    this.storage = new Storage(this, 'Storage', {
      retainData: config.retainData,
      versioned: config.versioned,
    });
    this.alerts = new Alerts(this, 'Alerts', { stage: config.stage, emails: config.alertEmails });
    this.pipeline = new Pipeline(this, 'Pipeline', {
      config,
      bucket: this.storage.bucket,
      topic: this.alerts.topic,
    });

    new CfnOutput(this, 'BucketName', {
      value: this.storage.bucket.bucketName,
      description: 'Drop trade files under incoming/; results appear under results/',
    });
    new CfnOutput(this, 'TopicArn', {
      value: this.alerts.topic.topicArn,
      description: 'Alerts: run summaries, rejected files and failures',
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
  }
}
