/** One alert: SNS in AWS, the console and an outbox file on one machine. */
export interface Alert {
  /** At most 99 ASCII characters (SNS allows 100; email clients cut long subjects anyway). */
  subject: string;
  /** Plain text for people (email). */
  message: string;
  /** Message attributes, so subscriptions can filter (stage, severity, file). */
  attributes: Record<string, string>;
  /**
   * The same alert for machines (SQS, Lambda, HTTPS subscribers): published with SNS's per-protocol
   * message structure, so people get the text and programs get JSON. Absent: the text goes to everyone.
   */
  json?: Record<string, unknown>;
}

export interface AlertSink {
  publish(alert: Alert): Promise<void>;
}
