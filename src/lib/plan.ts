/**
 * Plan: lists one tenant x table prefix of the landing bucket, compares it with the ledger
 * (one Query for the whole item, never one request per file), and hands out the files that
 * are new, changed, reset or left mid-load, in batches; a new or changed version before the
 * tenant's start point is recorded `skipped` instead (src/lib/start-point.ts). Each round also
 * adds up what the previous round's Loads settled, so the item's totals come from the Loads
 * themselves.
 */
import pMap from 'p-map';
import type { LandedFile, Ledger, LedgerEntry, ObjectStore, Warehouse } from '../ports.js';
import type { TableName } from '../tables.js';
import { versionName } from './dedup-token.js';
import { isLoadableKey, landingPrefix } from './file-format.js';
import { foldTallies, tallyResults, type LoadTally } from './load-tally.js';
import { OutcomeLog, writeLog, type OutcomeSink } from './load-log.js';
import { recordedOutcome } from './results.js';
import { reconcileIgnored, SAMPLE_IGNORED, type Ignored, type IgnoredLedger } from './ignored.js';
import { assertNoDrift } from './schema-drift.js';
import { beforeStart, type StartPoint } from './start-point.js';

export interface PlannedFile {
  key: string;
  etag: string;
  size: number;
  generation: number;
}

export interface PlanCounts {
  listed: number;
  toLoad: number;
  new: number;
  changed: number;
  reset: number;
  /** Left in `loading` by an attempt that did not finish (or is still running). */
  resumed: number;
  unchanged: number;
  /** Failed earlier and unchanged since: not retried until the content changes or it is reset. */
  failedBefore: number;
  /** Objects under the prefix that are not a loadable file type. */
  ignored: number;
  /** Entries of deleted objects retired as `gone` this round (failed, reset, superseded, skipped or an abandoned claim). */
  gone: number;
  /** New or changed versions before the tenant's start point: recorded `skipped`, not loaded. */
  skipped: number;
}

export interface PlanInput {
  runId: string;
  dryRun: boolean;
  tenant: string;
  table: TableName;
  /** The item carries an arrival mark (src/lib/arrivals.ts), cleared once the item is done. */
  marked?: boolean;
  /** The tenant's start point (null or absent: none): versions before it are skipped. */
  startPoint?: StartPoint | null;
  /** The previous round's plan, with its Loads' tallies in `loads`; `{ nextRound: 0 }` on the first. */
  previous: PlanResult | { nextRound: 0 };
}

export interface PlanResult {
  round: number;
  nextRound: number;
  /** More files are due than one round hands out: plan again after loading these. */
  more: boolean;
  batches: PlannedFile[][];
  counts: PlanCounts;
  /** The first round's counts: what the run found when it started on this item. */
  countsAtStart: PlanCounts;
  plannedAt: string;
  /** `count() FINAL` before the run, for an item with nothing to load (the re-run check); else null. */
  countFinalBefore: number | null;
  /** Whether the table held any row of the tenant before the run, for an item with files loaded earlier or nothing to load; else null. */
  rowsBefore: boolean | null;
  /** Dry run: a sample of the files that would load. */
  wouldLoad: string[];
  /** Keys that failed in an earlier run and are not retried (a sample). */
  failedBefore: string[];
  /** Objects of the table folder that are not a loadable file type (a sample); recorded as ignored. */
  ignored: string[];
  /** What the Loads of the earlier rounds settled, added up. */
  loadTotals: LoadTally;
  /** Empty from Plan: the state machine puts this round's Load tallies here, one a batch, for the next round. */
  loads: LoadTally[];
  /** Files still due when the item reached its rounds for one execution: the next run loads them. */
  deferred: number;
}

export interface PlanLimits {
  planMaxFiles: number;
  batchMaxFiles: number;
  batchMaxBytes: number;
  /** Rounds that load in one execution: an item with more is left for the next, so it starves no other. */
  maxRounds?: number;
}

const SAMPLE = 20;

function classify(file: LandedFile, entry: LedgerEntry | undefined): keyof PlanCounts {
  if (!entry) return 'new';
  // Loaded before, though a later claim of another version now fronts the key.
  if (entry.etag !== file.etag && entry.loadedVersions?.includes(versionName({ etag: file.etag, generation: entry.generation }))) return 'unchanged';
  if (entry.etag !== file.etag) return 'changed';
  switch (entry.status) {
    case 'loaded':
      return 'unchanged';
    case 'failed':
      return 'failedBefore';
    case 'reset':
      return 'reset';
    case 'loading':
      return 'resumed';
    case 'superseded':
      // The object holds this version again (identical bytes after a change and back).
      return 'changed';
    case 'gone':
      // Deleted, then landed again with the same bytes.
      return 'new';
    case 'skipped':
      // Judged against the start point again: moved back or cleared since, it loads as new.
      return 'skipped';
  }
}

/**
 * Entries whose object is no longer listed, and that hold nothing in the table, end `gone`;
 * a loaded entry is never touched (its rows are in the table), nor a claim that may still insert.
 */
export async function retireDeleted(listed: readonly LandedFile[], ledger: Map<string, LedgerEntry>, deps: { ledger: Pick<Ledger, 'retireGone'>; now?: () => Date }): Promise<number> {
  const landed = new Set(listed.map((f) => f.key));
  const now = deps.now?.() ?? new Date();
  const retirable = [...ledger.values()].filter(
    (e) =>
      !landed.has(e.key) &&
      (e.status === 'failed' || e.status === 'reset' || e.status === 'superseded' || e.status === 'skipped' || (e.status === 'loading' && e.unit === undefined && (e.leaseUntil ?? '') < now.toISOString())),
  );
  const retired = await pMap(retirable, (e) => deps.ledger.retireGone(e, now), { concurrency: 8 });
  return retired.filter(Boolean).length;
}

const lastKey = (batches: PlannedFile[][]) => batches.flat().reduce((last, f) => (f.key > last ? f.key : last), '');

/**
 * Files due when the item was first planned that another execution settled before a later round
 * reached them: they count as that execution's, as if a Load had found them settled. A round
 * counts the keys after the previous round's last one up to its own last one (every key after it
 * in the last round), so no file counts twice.
 */
function settledAhead(listed: readonly LandedFile[], ledger: Map<string, LedgerEntry>, runId: string, since: string, range: { after: string; upTo: string | undefined }): LoadTally {
  const results = listed.flatMap((file) => {
    const entry = ledger.get(file.key);
    const inRange = file.key > range.after && (range.upTo === undefined || file.key <= range.upTo);
    const settledByOther = entry && entry.etag === file.etag && (entry.status === 'loaded' || entry.status === 'failed') && entry.runId !== runId && entry.updatedAt >= since;
    return inRange && settledByOther ? [recordedOutcome({ key: file.key, etag: file.etag, generation: entry.generation }, entry)] : [];
  });
  return tallyResults(results, runId);
}

/** The round that only adds up the last Loads: it lists nothing and hands out nothing. */
function closingRound(last: PlanResult, loadTotals: LoadTally): PlanResult {
  const round = last.nextRound;
  return { ...last, round, nextRound: round + 1, more: false, batches: [], loadTotals, loads: [] };
}

/** Groups files into Load batches: small files together, a large file alone. */
export function batchFiles<T extends { size: number }>(files: readonly T[], limits: Pick<PlanLimits, 'batchMaxFiles' | 'batchMaxBytes'>): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const file of files) {
    if (current.length > 0 && (current.length >= limits.batchMaxFiles || bytes + file.size > limits.batchMaxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export async function plan(
  input: PlanInput,
  deps: {
    store: ObjectStore;
    ledger: Pick<Ledger, 'listItem' | 'retireGone' | 'recordSkipped'> & IgnoredLedger;
    warehouse: Warehouse;
    limits: PlanLimits;
    now?: () => Date;
    /** A dry run's every due file, kept outside the state (which carries a sample). */
    wouldLoad?: (files: readonly PlannedFile[]) => Promise<void>;
    /** The versions this round recorded `skipped`, as a Load reports the files it settles. */
    skipped?: (files: readonly PlannedFile[]) => void;
    /** The load log: a row for each version this round recorded `skipped` (load-log.ts). */
    log?: OutcomeSink;
  },
): Promise<PlanResult> {
  const round = input.previous.nextRound;
  // Begun now: a skipped version's log row runs from here to when the ledger recorded the skip.
  const outcomes = new OutcomeLog(deps.now);
  const earlier = 'countsAtStart' in input.previous ? input.previous : undefined;
  const loadTotals = foldTallies([earlier?.loadTotals, ...(earlier?.loads ?? [])]);
  // After the last round that loaded, Plan runs once more only to add that round's Loads up.
  if (earlier && earlier.loads.length > 0 && !earlier.more) return closingRound(earlier, loadTotals);
  const [listed, ledger] = await Promise.all([
    deps.store.list(landingPrefix(input.tenant, input.table)),
    deps.ledger.listItem(input.tenant, input.table),
  ]);
  const counts: PlanCounts = { listed: listed.length, toLoad: 0, new: 0, changed: 0, reset: 0, resumed: 0, unchanged: 0, failedBefore: 0, ignored: 0, gone: 0, skipped: 0 };
  const prefix = landingPrefix(input.tenant, input.table);
  const due: PlannedFile[] = [];
  const toSkip: PlannedFile[] = [];
  const failedBefore: string[] = [];
  const ignored: Ignored[] = [];
  for (const file of [...listed].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    if (!isLoadableKey(file.key)) {
      counts.ignored++;
      ignored.push({ file, reason: 'unknown-extension' });
      continue;
    }
    const entry = ledger.get(file.key);
    let kind = classify(file, entry);
    // Only versions that would load as new work are judged: a reset, a resumed claim or a loaded file never.
    if (kind === 'new' || kind === 'changed' || kind === 'skipped') {
      const before = beforeStart(file, prefix, input.startPoint);
      const version = { key: file.key, etag: file.etag, size: file.size, generation: entry?.generation ?? 0 };
      if (before && kind !== 'skipped') toSkip.push(version);
      if (!before && kind === 'skipped') kind = 'new';
      else if (before) kind = 'skipped';
    }
    counts[kind]++;
    if (kind === 'skipped') continue;
    if (kind === 'unchanged') continue;
    if (kind === 'failedBefore') {
      if (failedBefore.length < SAMPLE) failedBefore.push(file.key);
      continue;
    }
    due.push({ key: file.key, etag: file.etag, size: file.size, generation: entry?.generation ?? 0 });
  }
  counts.toLoad = due.length;
  const countsAtStart = earlier?.countsAtStart ?? counts;
  const plannedAt = earlier?.plannedAt ?? (deps.now?.() ?? new Date()).toISOString();
  // Every field is always present: the state machine's summary step reads each by path.
  const result: PlanResult = {
    round,
    nextRound: round + 1,
    more: false,
    batches: [],
    counts,
    countsAtStart,
    plannedAt,
    countFinalBefore: earlier?.countFinalBefore ?? null,
    rowsBefore: earlier?.rowsBefore ?? null,
    wouldLoad: [],
    failedBefore,
    ignored: ignored.slice(0, SAMPLE_IGNORED).map((i) => i.file.key),
    loadTotals,
    loads: [],
    deferred: 0,
  };
  // Recorded once a run, from the listing Plan reads anyway: one Query of this folder's records.
  // Each skipped version is recorded once: a later round or run finds its entry and writes nothing.
  if (!input.dryRun && toSkip.length > 0) {
    const at = deps.now?.() ?? new Date();
    // Named by its round, not a fresh id: a retried round finds its skips recorded and logs none again.
    const attempt = { id: `plan-round-${round}`, runId: input.runId };
    try {
      const recorded = await pMap(
        toSkip,
        async (f) => {
          const version = { tenant: input.tenant, table: input.table, ...f };
          const accepted = await deps.ledger.recordSkipped(version, input.runId, at);
          // Logged only once the ledger holds the skip: a version another Plan recorded is its row.
          if (accepted) outcomes.settled(version, attempt, { status: 'skipped' });
          return accepted;
        },
        { concurrency: 8 },
      );
      deps.skipped?.(toSkip.filter((_, i) => recorded[i]));
    } finally {
      // One insert for the round, whether every skip was recorded or one write threw.
      if (deps.log) await writeLog(outcomes.take(), deps.log);
    }
  }
  if (round === 0 && !input.dryRun) {
    counts.gone = await retireDeleted(listed, ledger, deps);
    await reconcileIgnored(input.tenant, ignored, { runId: input.runId, now: new Date(plannedAt), prefix: landingPrefix(input.tenant, input.table) }, deps.ledger);
  }
  if (input.dryRun) {
    if (due.length > 0) await deps.wouldLoad?.(due);
    return { ...result, wouldLoad: due.slice(0, SAMPLE).map((f) => f.key) };
  }
  // A table behind its configuration would fail every insert: hand out nothing (so no file is
  // claimed), and say what to run. Once an item: later rounds and the Load trust this round.
  if (round === 0 && due.length > 0) await assertNoDrift(input.tenant, input.table, deps.warehouse);
  // Idle items keep their count (re-runs move nothing). Items with files loaded earlier need
  // only whether the tenant has a row, so Validate sees a table emptied or dropped behind
  // onceload's back: one row found is enough, where count() FINAL would merge them all.
  if (round === 0 && due.length === 0) {
    result.countFinalBefore = await deps.warehouse.countFinal(input.tenant, input.table);
    result.rowsBefore = result.countFinalBefore > 0;
  } else if (round === 0 && counts.unchanged > 0) {
    result.rowsBefore = await deps.warehouse.hasRows(input.tenant, input.table);
  }
  // An item with more rounds than its share hands out nothing more; its mark stays for the next run.
  const deferring = deps.limits.maxRounds !== undefined && round >= deps.limits.maxRounds && due.length > 0;
  const thisRound = deferring ? [] : due.slice(0, deps.limits.planMaxFiles);
  result.deferred = deferring ? due.length : 0;
  result.more = !deferring && due.length > thisRound.length;
  result.batches = batchFiles(thisRound, deps.limits);
  if (earlier) {
    const range = { after: lastKey(earlier.batches), upTo: result.more ? thisRound.at(-1)?.key : undefined };
    result.loadTotals = foldTallies([loadTotals, settledAhead(listed, ledger, input.runId, plannedAt, range)]);
  }
  return result;
}
