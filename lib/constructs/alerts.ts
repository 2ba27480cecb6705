import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertsProps {
  readonly stage: string;
  /** Each address receives a confirmation email on first deploy and must confirm it. */
  readonly emails: readonly string[];
}

/** The stage's alert topic: run summaries, rejected files and failures are published here. */
export class Alerts extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);

    this.topic = new Topic(this, 'Topic', {
      // Shown as the sender of alert emails; not a physical name, so stages can share an account.
      displayName: `trade-anomaly ${props.stage}`,
      enforceSSL: true,
    });
    for (const email of props.emails) {
      this.topic.addSubscription(new EmailSubscription(email));
    }
  }
}
