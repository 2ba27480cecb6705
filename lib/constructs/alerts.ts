import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertsProps {
  readonly stage: string;
  /** Receive run summaries, rejected files and failed runs. Each confirms a subscription email first. */
  readonly alertEmails: readonly string[];
  /** Receive CloudWatch alarms. */
  readonly opsEmails: readonly string[];
  /** RETAIN the key on stack deletion (prod); otherwise schedule its deletion with the stack. */
  readonly retainData: boolean;
}

/**
 * The stage's two topics, both encrypted with the stage's own KMS key and TLS-only:
 * - `topic`: what the pipeline found (run summaries, rejected files, failed runs), for the data/risk team;
 * - `opsTopic`: CloudWatch alarms about the pipeline itself, for whoever runs it.
 *
 * A customer-managed key rather than SNS's AWS-managed one: CloudWatch alarms can only publish to an
 * encrypted topic whose key policy lets cloudwatch.amazonaws.com use the key, and the AWS-managed key's
 * policy cannot be changed.
 */
export class Alerts extends Construct {
  readonly key: Key;
  readonly topic: Topic;
  readonly opsTopic: Topic;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);

    this.key = new Key(this, 'Key', {
      description: `trade-anomaly ${props.stage}: encrypts the alert and ops topics`,
      enableKeyRotation: true,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToEncryptedTopics',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.topic = new Topic(this, 'Topic', {
      // Shown as the sender of alert emails; not a physical name, so stages can share an account.
      displayName: `trade-anomaly ${props.stage}`,
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.alertEmails) this.topic.addSubscription(new EmailSubscription(email));

    this.opsTopic = new Topic(this, 'OpsTopic', {
      displayName: `trade-anomaly ${props.stage} ops`,
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.opsEmails) this.opsTopic.addSubscription(new EmailSubscription(email));
  }

  /**
   * sns:Publish on one topic and the two key actions SNS needs from a publisher of an encrypted
   * topic, instead of Topic.grantPublish's kms:GenerateDataKey* wildcard.
   */
  grantPublish(grantee: IGrantable, topic: Topic = this.topic): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }),
    );
  }
}
