import { RemovalPolicy } from 'aws-cdk-lib';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../stage-config.js';
import type { Alerts } from './alerts.js';
import { PipelineFunction } from './pipeline-function.js';
import { PREFIXES, type Storage } from './storage.js';

export interface TrainingProps {
  readonly config: StageConfig;
  readonly storage: Storage;
  /** The ops topic hears of each trained version (and of each file that could not be trained on). */
  readonly alerts: Alerts;
  /** Where a training event goes when the function failed on it for good (the pipeline's queue, alarmed). */
  readonly deadLetterQueue: IQueue;
}

/**
 * Training in the stage: a file dropped under training/ invokes the train function, which fits a model
 * on it and writes models/<version>/model.json and metadata.json. It cannot promote: its role may
 * write those two objects only, never models/current.json or models/history/, so what runs in
 * production changes only when someone runs `trade-anomaly models promote` (docs/deployment.md).
 */
export class Training extends Construct {
  readonly train: PipelineFunction;

  constructor(scope: Construct, id: string, props: TrainingProps) {
    super(scope, id);
    const { config, storage, alerts } = props;

    this.train = new PipelineFunction(this, 'Train', {
      entryName: 'train',
      description: `trade-anomaly ${config.stage}: trains a model version on a file dropped under ${PREFIXES.training} (not promoted)`,
      sizing: config.functions.train,
      logRetention: config.logRetentionDays,
      logRemovalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      environment: {
        STAGE: config.stage,
        OPS_TOPIC_ARN: alerts.opsTopic.topicArn,
        // The model kind the stage trains (cdk.json algorithm); checked again at cold start.
        MODEL_ALGORITHM: config.algorithm,
        // Training files are read as the stage's daily files are (cdk.json schemaFile).
        ...(config.schemaJson ? { TRADE_SCHEMA: config.schemaJson } : {}),
      },
    });
    // Nothing read under models/: the function streams one object, reads the analysts' feedback and
    // writes two. Listing only under feedback/ (a prefix condition), so a training file deleted before
    // it is read answers 403 rather than 404; the invocation fails and lands in the dead-letter queue,
    // which is right for that case too.
    storage.grantList(this.train.role, 'feedback');
    storage.grantObjectAccess(this.train.role, [
      { prefix: 'training', actions: ['s3:GetObject'], why: 'train streams the dropped file; it never writes or deletes one' },
      { prefix: 'feedback', actions: ['s3:GetObject'], why: "train reads the analysts' feedback to leave trades they confirmed as anomalies out of training" },
      {
        prefix: 'models',
        keys: '*/model.json',
        actions: ['s3:PutObject'],
        why: "train writes the new version's model.json, and cannot write models/current.json or models/history/ (promotion is a person's decision)",
      },
      {
        prefix: 'models',
        keys: '*/metadata.json',
        actions: ['s3:PutObject'],
        why: "train writes the new version's metadata.json beside its model.json, and nothing else under models/",
      },
    ]);
    alerts.grantPublish(this.train.role, alerts.opsTopic);

    // S3 invokes asynchronously. One retry, not two: a training that crashed or timed out on a file
    // will do so again, while a one-off failure deserves a second go; then the dead-letter queue alarms.
    this.train.function.configureAsyncInvoke({ retryAttempts: 1, onFailure: new SqsDestination(props.deadLetterQueue) });
    storage.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(this.train.function), {
      prefix: PREFIXES.training,
    });
  }
}
