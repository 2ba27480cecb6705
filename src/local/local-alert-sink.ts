import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Alert, AlertSink } from '../ports/alert-sink.js';

/** Alerts on one machine: appended to an outbox file (JSON lines) and handed to a printer. */
export class LocalAlertSink implements AlertSink {
  readonly published: Alert[] = [];

  constructor(
    private readonly outboxFile: string,
    private readonly print: (alert: Alert) => void = () => {},
  ) {}

  async publish(alert: Alert): Promise<void> {
    this.published.push(alert);
    await mkdir(path.dirname(this.outboxFile), { recursive: true });
    await appendFile(this.outboxFile, `${JSON.stringify({ at: new Date().toISOString(), ...alert })}\n`);
    this.print(alert);
  }
}
