/** One alert: SNS in AWS, the console and an outbox file on one machine. */
export interface Alert {
  /** At most 99 ASCII characters (SNS allows 100; email clients cut long subjects anyway). */
  subject: string;
  /** Plain text for people (email). */
  message: string;
  /** Message attributes, so subscriptions can filter (stage, severity, file). */
  attributes: Record<string, string>;
}

export interface AlertSink {
  publish(alert: Alert): Promise<void>;
}
