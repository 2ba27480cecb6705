import { Aws, CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Alerts } from './constructs/alerts.js';
import { Monitoring } from './constructs/monitoring.js';
import { Pipeline } from './constructs/pipeline.js';
import { ResultsCatalog } from './constructs/results-catalog.js';
import { Storage } from './constructs/storage.js';
import { Training } from './constructs/training.js';
import { acknowledge } from './nag.js';
import type { StageConfig } from './stage-config.js';

/** The id CDK gives its singleton bucket-notifications function in a stack. */
const BUCKET_NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

export interface TradeAnomalyStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The stack's id (and CloudFormation name) for a stage: `dev` -> `TradeAnomaly-Dev`. */
export function stackIdFor(stage: string): string {
  const words = stage.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return `TradeAnomaly-${words.join('-')}`;
}

/**
 * One stage of the trade anomaly pipeline: data bucket, alert and ops topics, functions and state
 * machine, model training, alarms and dashboard, and the results table. The stack only wires the constructs; what
 * differs between stages comes from the StageConfig (cdk.json).
 */
export class TradeAnomalyStack extends Stack {
  readonly storage: Storage;
  readonly alerts: Alerts;
  readonly pipeline: Pipeline;
  readonly training: Training;
  readonly monitoring: Monitoring;
  readonly catalog: ResultsCatalog;

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
      logRetention: config.logRetentionDays,
    });
    this.alerts = new Alerts(this, 'Alerts', {
      stage: config.stage,
      alertEmails: config.alertEmails,
      opsEmails: config.opsEmails,
      retainData: config.retainData,
    });
    this.pipeline = new Pipeline(this, 'Pipeline', { config, storage: this.storage, alerts: this.alerts });
    this.training = new Training(this, 'Training', {
      config,
      storage: this.storage,
      alerts: this.alerts,
      deadLetterQueue: this.pipeline.deadLetterQueue,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      config,
      storage: this.storage,
      pipeline: this.pipeline,
      training: this.training,
      opsTopic: this.alerts.opsTopic,
    });
    this.catalog = new ResultsCatalog(this, 'Results', { stage: config.stage, bucket: this.storage.bucket });
    this.acknowledgeCdkInternals();

    new CfnOutput(this, 'BucketName', {
      value: this.storage.bucket.bucketName,
      description: 'Drop trade files under incoming/; results appear under results/date=<day>/, summaries under reports/. Files under training/ train a model version (promote it with trade-anomaly models promote)',
    });
    new CfnOutput(this, 'TopicArn', {
      value: this.alerts.topic.topicArn,
      description: 'Alerts: run summaries, rejected files and failed runs',
    });
    new CfnOutput(this, 'OpsTopicArn', {
      value: this.alerts.opsTopic.topicArn,
      description: 'CloudWatch alarms of the pipeline',
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.pipeline.deadLetterQueue.queueUrl,
      description: 'Ingest and training events and failure alerts that failed for good',
    });
    new CfnOutput(this, 'GlueDatabase', { value: this.catalog.databaseName });
    new CfnOutput(this, 'ResultsTable', {
      value: `${this.catalog.databaseName}.${this.catalog.tableName}`,
      description: 'Athena table over results/, partitioned by "date" (projection: no crawler needed)',
    });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.catalog.workGroupName });
    new CfnOutput(this, 'ExampleQuery', {
      value: this.catalog.exampleQuery,
      description: `Today's anomalies; run it in the ${this.catalog.workGroupName} workgroup (saved there as "Today's anomalies")`,
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${this.monitoring.dashboard.dashboardName}`,
    });
  }

  /**
   * CDK's own function for the bucket's event notification (addEventNotification): it configures the
   * notification during deployment; its code and role are CDK's, not this project's.
   */
  private acknowledgeCdkInternals(): void {
    const notificationsHandler = this.node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
    if (notificationsHandler) {
      acknowledge(notificationsHandler, {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's BucketNotificationsHandler (sets the data bucket's ObjectCreated notification at deploy time) comes with this managed policy for its own logs, and CDK offers no way to replace its role; it runs only during deployments.",
      });
    }
  }
}
