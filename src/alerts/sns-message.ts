import type { Alert } from '../ports/alert-sink.js';

/**
 * An alert as SNS's Publish request carries it, and its size. Both the SNS sink and the alert's size
 * check use this one function, so the size checked is the size sent.
 *
 * With a machine form, the message uses SNS's per-protocol structure (MessageStructure "json"): a JSON
 * object whose keys are protocols and whose values are the strings each protocol's subscribers get.
 * "default" is required and goes to any protocol not named.
 */

/** SNS's limit on a published message, attributes included: 256 KiB. */
export const SNS_MAX_PUBLISH_BYTES = 262_144;
/** What an alert may use: the limit less a margin for how SNS counts the attributes' framing. */
export const ALERT_MAX_BYTES = SNS_MAX_PUBLISH_BYTES - 2_048;

/** Protocols whose subscribers are programs: they get the JSON form. */
export const MACHINE_PROTOCOLS = ['sqs', 'lambda', 'http', 'https', 'firehose', 'email-json'] as const;

export interface SnsPublishFields {
  Subject: string;
  Message: string;
  MessageStructure?: 'json';
  MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
}

export function snsPublishFields(alert: Alert): SnsPublishFields {
  const MessageAttributes = Object.fromEntries(
    Object.entries(alert.attributes).map(([k, v]) => [k, { DataType: 'String' as const, StringValue: v }]),
  );
  if (!alert.json) return { Subject: alert.subject, Message: alert.message, MessageAttributes };
  const machine = JSON.stringify(alert.json);
  const perProtocol: Record<string, string> = {
    default: alert.message,
    email: alert.message,
    // A text message gets the subject alone: the body would run to dozens of SMS parts.
    sms: alert.subject,
    ...Object.fromEntries(MACHINE_PROTOCOLS.map((p) => [p, machine])),
  };
  return { Subject: alert.subject, Message: JSON.stringify(perProtocol), MessageStructure: 'json', MessageAttributes };
}

/** Bytes SNS counts for the alert: subject, message as sent, and each attribute's name, type and value. */
export function publishBytes(alert: Alert): number {
  const f = snsPublishFields(alert);
  let n = Buffer.byteLength(f.Subject) + Buffer.byteLength(f.Message);
  for (const [name, a] of Object.entries(f.MessageAttributes)) n += Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue);
  return n;
}
