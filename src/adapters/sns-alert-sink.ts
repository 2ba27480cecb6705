import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { snsPublishFields } from '../alerts/sns-message.js';
import type { Alert, AlertSink } from '../ports/alert-sink.js';

/**
 * Publishes alerts to an SNS topic, with message attributes for subscription filters, and the
 * per-protocol structure (text for email, JSON for SQS, Lambda and HTTPS) when the alert has a
 * machine form.
 */
export class SnsAlertSink implements AlertSink {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(alert: Alert): Promise<void> {
    await this.client.send(new PublishCommand({ TopicArn: this.topicArn, ...snsPublishFields(alert) }));
  }
}
