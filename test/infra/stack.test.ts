/**
 * The stack of each stage, as a specification. The specs live in stack/ by concern and run here in one
 * process, so the three stages are synthesized once (synth.ts) for all of them:
 * - stage-config: what each stage sets, and the errors a bad config gets at synth;
 * - pipeline: storage, functions, state machine, failure paths, alerts, least privilege;
 * - run-failed: the failure alert's Step Functions rights (the run, its Map Run, a failed chunk's child);
 * - monitoring: alarms, the daily-file check, the dashboard, the metrics the functions publish;
 * - results-catalog: the Glue table over results/, the Athena workgroup, the example query;
 * - cdk-nag: no unacknowledged AwsSolutions finding, every acknowledgement specific.
 * The real CLI (bundling, bin/app.ts) is tested in cli.test.ts; the functions' logic in functions.test.ts.
 */
import './stack/stage-config.spec.js';
import './stack/pipeline.spec.js';
import './stack/run-failed.spec.js';
import './stack/monitoring.spec.js';
import './stack/results-catalog.spec.js';
import './stack/cdk-nag.spec.js';
