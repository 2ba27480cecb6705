import { createHash } from 'node:crypto';

/**
 * The run's id, from bucket, key and ETag: the same object delivered twice (S3 delivers events at
 * least once) gets the same id, so it is processed once; a new version of the key gets a new one.
 * It doubles as the Step Functions execution name: at most 80 characters of [A-Za-z0-9-_].
 */
export function deriveRunId(bucket: string, key: string, etag: string): string {
  const hash = createHash('sha256').update(`${bucket}\n${key}\n${etag.replaceAll('"', '')}`).digest('hex').slice(0, 16);
  const stem = fileStem(key)
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return stem ? `${stem}-${hash}` : hash;
}

/** The file's name without folders and without .csv / .csv.gz / .txt extensions. */
/** The last part of an object key or path: the file's name. */
export function fileNameOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

export function fileStem(key: string): string {
  const name = fileNameOf(key);
  return name.replace(/\.(csv|txt|tsv)(\.gz)?$/i, '').replace(/\.gz$/i, '');
}

export function runPrefix(runId: string): string {
  return `runs/${runId}/`;
}
