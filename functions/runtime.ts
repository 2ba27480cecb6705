import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { createS3Client } from '../src/adapters/aws-clients.js';
import { S3ObjectStore } from '../src/adapters/s3-object-store.js';
import { SfnExecutionStarter } from '../src/adapters/sfn-execution-starter.js';
import { SnsAlertSink } from '../src/adapters/sns-alert-sink.js';
import type { ObjectStore } from '../src/ports/object-store.js';

/**
 * What the Lambda handlers share: configuration read once from the environment (failing fast with the
 * variable's name), SDK clients made once per container, and the logger.
 */
export class MissingEnvironmentError extends Error {
  override readonly name = 'MissingEnvironmentError';
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new MissingEnvironmentError(`environment variable ${name} is not set`);
  return value;
}

export const stage = process.env.STAGE ?? 'dev';
export const logger = new Logger({ serviceName: 'trade-anomaly', persistentKeys: { stage } });

// S3_ENDPOINT points the functions at an S3-compatible server (tests); unset in AWS.
const s3 = createS3Client(process.env.S3_ENDPOINT ? { url: process.env.S3_ENDPOINT } : undefined);
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

export function sfnExecutionStarter(stateMachineArn: string): SfnExecutionStarter {
  return new SfnExecutionStarter(new SFNClient({ maxAttempts: 5 }), stateMachineArn);
}
