/**
 * The custom metrics the functions publish (CloudWatch embedded metric format, through Powertools),
 * in one namespace with the dimensions `service` and `stage`. lib/constructs/monitoring.ts names the
 * same metrics for alarms and the dashboard; lib/ does not import runtime code, so the names are
 * repeated there and a test checks that both lists agree.
 */
export const METRICS_NAMESPACE = 'TradeAnomaly';
/** Powertools adds it to every metric as the `service` dimension. */
export const METRICS_SERVICE = 'trade-anomaly';

export const METRIC = {
  // ingest, one per file
  filesStarted: 'FilesStarted',
  filesDuplicate: 'FilesDuplicate',
  filesRejected: 'FilesRejected',
  filesIgnored: 'FilesIgnored',
  ingestedRows: 'IngestedRows',
  ingestedChunks: 'IngestedChunks',
  // score, one per chunk
  chunkRows: 'ChunkRows',
  chunkBadRows: 'ChunkBadRows',
  chunkAnomalies: 'ChunkAnomalies',
  chunkDuration: 'ChunkDurationMs',
  // aggregate, one per run (the model version goes in the record's metadata, not a dimension)
  runRows: 'RunRows',
  runBadRows: 'RunBadRows',
  runAnomalies: 'RunAnomalies',
  runDuration: 'RunDurationMs',
  // run-failed, one per failed, timed-out or aborted execution
  runFailureAlerts: 'RunFailureAlerts',
  // arrival-check, one per scheduled check
  dailyFileMissing: 'DailyFileMissing',
  filesArrived: 'FilesArrived',
} as const;
