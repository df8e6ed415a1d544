/**
 * The run's objects in the runs bucket (layout in run-layout.ts): Discover writes the item
 * manifest and what else it found, the Distributed Map writes its children's results, Validate
 * reads both and writes the full report. States pass only their locations.
 */
import type { RunStore } from '../ports.js';
import type { Census } from './landing-census.js';
import type { Discovery, WorkItem } from './discover.js';
import { discoveryKey, manifestKey, reportKey, wouldLoadKey, type RunObject } from './run-layout.js';
import type { ItemSummary, RunReport } from './validate.js';

/** What Discover found besides the items; Validate reads it from the runs bucket. */
export type DiscoveryRecord = Pick<Discovery, 'notDue' | 'scheduled' | 'due'> & Census & { items: number; skipped?: string };

/** Discover's output: bounded whatever the number of tenants. */
export interface DiscoverOutput {
  runId: string;
  dryRun: boolean;
  tables: Discovery['tables'];
  items: number;
  /** The item manifest the Map's ItemReader reads. */
  manifest: RunObject;
  /** Items the Map runs at once (its MaxConcurrencyPath): a stage setting. */
  maxConcurrency: number;
}

/** `skipped`: why a tick did nothing (src/lib/tick.ts). */
export async function writeDiscovery(runs: RunStore, found: Discovery & Census & { skipped?: string }, maxConcurrency: number): Promise<DiscoverOutput> {
  const { runId, dryRun, tables, items, notDue, scheduled, due, ignored, disabledWithFiles, skipped } = found;
  // Every field present (null for none): the Map's ItemSelector reads each by path.
  const lines = items.map((i: WorkItem) => `${JSON.stringify({ tenant: i.tenant, table: i.table, marked: i.marked ?? false, startPoint: i.startPoint ?? null })}\n`).join('');
  await runs.put(manifestKey(runId), lines);
  const record: DiscoveryRecord = { items: items.length, notDue, scheduled, due, ignored, disabledWithFiles, ...(skipped ? { skipped } : {}) };
  await runs.put(discoveryKey(runId), JSON.stringify(record));
  return { runId, dryRun, tables, items: items.length, manifest: { Bucket: runs.bucket, Key: manifestKey(runId) }, maxConcurrency };
}

export async function readDiscovery(runs: RunStore, runId: string): Promise<DiscoveryRecord> {
  const text = await runs.get(discoveryKey(runId));
  if (text === undefined) throw new Error(`s3://${runs.bucket}/${discoveryKey(runId)} is missing: Discover writes it before the Map starts`);
  return JSON.parse(text) as DiscoveryRecord;
}

/** What a Distributed Map with a ResultWriter returns in place of its children's outputs. */
export interface MapResults {
  MapRunArn?: string;
  ResultWriterDetails: RunObject;
}

/** One child execution as the ResultWriter records it (Output and Input are JSON text). */
interface ChildRecord {
  Status?: string;
  Input?: string;
  Output?: string;
  Error?: string;
  Cause?: string;
}

interface ResultManifest {
  ResultFiles?: Partial<Record<'SUCCEEDED' | 'FAILED' | 'PENDING', { Key: string }[]>>;
}

const parse = <T>(text: string, where: string): T => {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${where} is not JSON: ${(error as Error).message}`);
  }
};

/** A child that did not succeed is reported as its item's failure; the other items go on. */
function itemOf(record: ChildRecord): ItemSummary {
  if (record.Status === 'SUCCEEDED' && record.Output !== undefined) return parse<ItemSummary>(record.Output, 'a child execution output');
  const input = parse<Partial<ItemSummary>>(record.Input ?? '{}', 'a child execution input');
  return {
    tenant: input.tenant ?? '?',
    table: input.table ?? '?',
    failure: { Error: record.Error ?? record.Status ?? 'Failed', Cause: record.Cause ?? 'the item child execution did not succeed' },
  };
}

/** The items' summaries, from every result file the Map run wrote. */
export async function readMapResults(runs: RunStore, results: MapResults): Promise<ItemSummary[]> {
  const { Bucket, Key } = results.ResultWriterDetails;
  if (Bucket !== runs.bucket) throw new Error(`the Map wrote its results to s3://${Bucket}, not the runs bucket ${runs.bucket}`);
  const manifestText = await runs.get(Key);
  if (manifestText === undefined) throw new Error(`the Map's result manifest s3://${Bucket}/${Key} is missing`);
  const manifest = parse<ResultManifest>(manifestText, `s3://${Bucket}/${Key}`);
  const files = Object.values(manifest.ResultFiles ?? {}).flat();
  const items: ItemSummary[] = [];
  for (const file of files) {
    const text = await runs.get(file.Key);
    if (text === undefined) throw new Error(`the Map's result file s3://${Bucket}/${file.Key} is missing`);
    for (const record of parse<ChildRecord[]>(text, `s3://${Bucket}/${file.Key}`)) items.push(itemOf(record));
  }
  return items;
}

export async function writeReport(runs: RunStore, report: RunReport): Promise<RunObject> {
  await runs.put(reportKey(report.runId), JSON.stringify(report));
  return { Bucket: runs.bucket, Key: reportKey(report.runId) };
}

/** The run's full report, or undefined when its Validate did not write one. */
export async function readReport(runs: RunStore, runId: string): Promise<RunReport | undefined> {
  const text = await runs.get(reportKey(runId));
  return text === undefined ? undefined : parse<RunReport>(text, `s3://${runs.bucket}/${reportKey(runId)}`);
}

/** A file a dry run would load. */
export interface WouldLoad {
  tenant: string;
  table: string;
  key: string;
  size: number;
}

/** Plan of a dry run: every file the item would load, however many (the state carries a sample). */
export async function writeWouldLoad(runs: RunStore, runId: string, tenant: string, table: string, files: readonly { key: string; size: number }[]): Promise<void> {
  await runs.put(wouldLoadKey(runId, tenant, table), files.map((f) => `${JSON.stringify({ key: f.key, size: f.size })}\n`).join(''));
}

export async function readWouldLoad(runs: RunStore, runId: string, tenant: string, table: string): Promise<WouldLoad[]> {
  const text = (await runs.get(wouldLoadKey(runId, tenant, table))) ?? '';
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ tenant, table, ...(parse<{ key: string; size: number }>(line, `s3://${runs.bucket}/${wouldLoadKey(runId, tenant, table)}`)) }));
}
