import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { createS3Client } from '../src/adapters/aws-clients.js';
import { S3ObjectStore } from '../src/adapters/s3-object-store.js';
import { SfnExecutionStarter } from '../src/adapters/sfn-execution-starter.js';
import { SnsAlertSink } from '../src/adapters/sns-alert-sink.js';
import type { ObjectStore } from '../src/ports/object-store.js';
import { METRICS_NAMESPACE, METRICS_SERVICE } from './metric-names.js';

/**
 * What the Lambda handlers share: configuration read once from the environment (failing fast with the
 * variable's name), SDK clients made once per container, the logger and the metrics.
 */
export { MissingEnvironmentError, requireEnv } from './environment.js';

export const stage = process.env.STAGE ?? 'dev';
export const logger = new Logger({ serviceName: METRICS_SERVICE, persistentKeys: { stage } });
/** Flushed by the logMetrics middleware at the end of each invocation, as one EMF log record. */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, defaultDimensions: { stage } });

// S3_ENDPOINT points the functions at an S3-compatible server (tests); unset in AWS.
export const s3 = createS3Client(process.env.S3_ENDPOINT ? { url: process.env.S3_ENDPOINT } : undefined);
const stores = new Map<string, ObjectStore>();

export function storeFor(bucket: string): ObjectStore {
  let store = stores.get(bucket);
  if (!store) {
    store = new S3ObjectStore(s3, bucket);
    stores.set(bucket, store);
  }
  return store;
}

export function snsAlertSink(topicArn: string): SnsAlertSink {
  return new SnsAlertSink(new SNSClient({ maxAttempts: 5 }), topicArn);
}

export const sfn = new SFNClient({ maxAttempts: 5 });

export function sfnExecutionStarter(stateMachineArn: string): SfnExecutionStarter {
  return new SfnExecutionStarter(sfn, stateMachineArn);
}
