/**
 * A text file written in large chunks through a WriteStream, waiting for 'drain' whenever the
 * stream's buffer is full, so a 10M-row file is never held in memory.
 */

import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';

/** Sequential chunk writer for one file; errors surface on the next write or on close. */
export class BatchedFileWriter {
  private readonly stream: WriteStream;
  private failure: Error | null = null;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
    // Keep the error for the next write/close; without a listener an open failure would crash.
    this.stream.on('error', (e: Error) => {
      this.failure ??= e;
    });
  }

  /** Writes a chunk, resolving once the stream can take more (back-pressure). */
  async write(chunk: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
    if (this.failure) throw this.failure;
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    this.stream.end();
    await finished(this.stream);
    if (this.failure) throw this.failure;
  }

  /** Abandons the file after a failure elsewhere. */
  destroy(): void {
    this.stream.destroy();
  }
}
