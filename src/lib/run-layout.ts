/**
 * Where a run keeps what grows with tenants and files: in the runs bucket, never in a state's
 * payload (Step Functions caps each at 256 KiB). The Distributed Map reads the items from the
 * manifest (ItemReader) and writes its children's results under MAP_RESULTS_PREFIX (ResultWriter).
 */
export const runPrefix = (runId: string) => `runs/${runId}/`;

/** The run's tenant x table items, one JSON object a line: the Map's ItemReader reads it. */
export const manifestKey = (runId: string) => `${runPrefix(runId)}items.jsonl`;

/** What Discover found besides the items (tenants not due, ignored objects...), for Validate. */
export const discoveryKey = (runId: string) => `${runPrefix(runId)}discovery.json`;

/** Every file a dry run would load for one tenant x table, one JSON object a line (Plan writes it). */
export const wouldLoadKey = (runId: string, tenant: string, table: string) => `${runPrefix(runId)}would-load/${tenant}/${table}.jsonl`;

/** Where every run's folder is. */
export const RUNS_PREFIX = 'runs/';

/** A local execution's input, status, timings and usage (the embedded runtime keeps them, as Step Functions does on AWS). */
export const executionKey = (runId: string) => `${runPrefix(runId)}execution.json`;

/** A local execution's states: each one's status, times and Map progress (the console draws them). */
export const statesKey = (runId: string) => `${runPrefix(runId)}states.json`;

/** The full run report: every item, every failed file, every check. */
export const reportKey = (runId: string) => `${runPrefix(runId)}report.json`;

/** The ResultWriter's prefix: Step Functions writes `<prefix>/<map run id>/manifest.json` and the result files. */
export const MAP_RESULTS_PREFIX = 'map-runs';

/** An object of the runs bucket, as states pass it on (the shape ItemReader's Parameters take). */
export interface RunObject {
  Bucket: string;
  Key: string;
}
