/**
 * What the Loads of one tenant x table settled, counted from their own results: a few numbers
 * however many files, so an item's state stays small across any number of rounds. Zero counts
 * are left out for the same reason.
 */
import type { FileResult } from './results.js';

/** A planned file another execution failed: Validate reports it with that run's error. */
export interface FailedByOther {
  key: string;
  runId: string;
}

export interface LoadTally {
  /** Files this run loaded, and their rows. */
  loaded?: number;
  rows?: number;
  /** Files this run failed. */
  failed?: number;
  /** Planned files whose object changed before its insert read it, whichever run found out. */
  superseded?: number;
  /** Planned files another execution running at the same time loaded, or failed. */
  byOther?: number;
  byOtherFailed?: number;
  /** A few of the files counted in `byOtherFailed`. */
  failedByOther?: FailedByOther[];
}

type Count = Exclude<keyof LoadTally, 'failedByOther'>;

const COUNTS: readonly Count[] = ['loaded', 'rows', 'failed', 'superseded', 'byOther', 'byOtherFailed'];

/** Failures of other runs an item keeps by name; the rest are counted. */
export const SAMPLE_FAILED_BY_OTHER = 10;

/** The count the result adds to, by who settled the file and how. */
function countOf(result: FileResult, runId: string): Count {
  if (result.outcome === 'superseded') return 'superseded';
  const mine = result.runId === runId;
  if (result.outcome === 'loaded') return mine ? 'loaded' : 'byOther';
  return mine ? 'failed' : 'byOtherFailed';
}

/** The tally of one Load's results; `runId` is the run the Load works for. */
export function tallyResults(results: readonly FileResult[], runId: string): LoadTally {
  const tally: LoadTally = {};
  const failedByOther: FailedByOther[] = [];
  for (const result of results) {
    const count = countOf(result, runId);
    add(tally, count, 1);
    if (count === 'loaded') add(tally, 'rows', result.rows ?? 0);
    if (count === 'byOtherFailed') failedByOther.push({ key: result.key, runId: result.runId });
  }
  return withSample(tally, failedByOther);
}

/** Adds the tallies up. */
export function foldTallies(tallies: readonly (LoadTally | undefined)[]): LoadTally {
  const total: LoadTally = {};
  for (const tally of tallies) for (const count of COUNTS) add(total, count, tally?.[count] ?? 0);
  return withSample(total, tallies.flatMap((t) => t?.failedByOther ?? []));
}

function add(tally: LoadTally, count: Count, n: number): void {
  if (n !== 0) tally[count] = (tally[count] ?? 0) + n;
}

function withSample(tally: LoadTally, failedByOther: FailedByOther[]): LoadTally {
  return failedByOther.length === 0 ? tally : { ...tally, failedByOther: failedByOther.slice(0, SAMPLE_FAILED_BY_OTHER) };
}
