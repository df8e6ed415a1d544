/**
 * `npm run bench`: the pipeline against the raw engine, measured in one process run on the
 * same machine, data and table layout. Prints a table, or one JSON object with --json.
 *
 *   npm run bench -- [--tenants N] [--files N] [--rows N] [--rounds N] [--big-file] [--components] [--only whole] [--json]
 *
 * `--only whole`: only the whole-process rows (the CLI as a child process, beside both baselines).
 */
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalRuntime } from '../src/local/runtime.js';
import { closeDeps, type Deps } from '../src/runtime/deps.js';
import { measureComponents } from './bench-components.js';
import { phaseBreakdown, runCli, type ChildRun } from './bench-whole.js';
import { PhaseClock } from '../src/local/phase-clock.js';
import { createTableSql } from '../src/adapters/clickhouse/ddl.js';
import { demoRow, jsonLines } from '../src/local/demo-data.js';
import { CANONICAL_TABLES as CANONICAL } from '../src/table-config.js';
import type { TableName } from '../src/tables.js';

// The benchmark measures the canonical tables, whatever a project file declares.
const CANONICAL_TABLES = CANONICAL.names;
import type { RunReport } from '../src/lib/validate.js';

/** The full report of an execution, which Validate keeps in the runs bucket (the output is its summary). */
function fullReport(result: { report?: RunReport; executionName: string }): RunReport {
  if (!result.report) throw new Error(`execution ${result.executionName} left no report`);
  return result.report;
}

const { values: flags } = parseArgs({
  options: {
    tenants: { type: 'string', default: '5' },
    files: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    rows: { type: 'string', default: '2000' },
    'big-file': { type: 'boolean', default: false },
    components: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
if (flags.only !== undefined && flags.only !== 'whole') throw new Error(`--only takes "whole", not ${JSON.stringify(flags.only)}`);
const TENANTS = Number(flags.tenants);
const FILES = Number(flags.files);
const ROWS = Number(flags.rows);
const ROUNDS = Number(flags.rounds);
const FILE_COUNT = TENANTS * CANONICAL_TABLES.length * FILES;
const TOTAL_ROWS = FILE_COUNT * ROWS;
/** Seconds the landing sync of each set took (uploading its files to the local S3). */
const syncSeconds: number[] = [];
const log = (line: string) => {
  if (!flags.json) process.stderr.write(`${line}\n`);
};

// The environment the CLI's child processes get: the user's, before this process points it at its own stores.
const userEnv = { ...process.env };
const dataDir = mkdtempSync(join(tmpdir(), 'onceload-bench-'));
const openStart = performance.now();
const runtime = await LocalRuntime.open({ dataDir });
/** The stores' start-up: dynalite, the local S3's process, the tables; chDB opens with the first deps. */
const storesStartSeconds = (performance.now() - openStart) / 1000;
let deps = await runtime.deps();

// Requests counted at the clients.
let ddbRequests = 0;
const ddbByTable = new Map<string, number>();
let chQueries = 0;
const chByKind = new Map<string, number>();
/** A query's kind: its first words, and the table or function it reads. */
function queryKind(query: string): string {
  const words = query.replace(/\s+/g, ' ').trim();
  // A load unit's insert reads its files in a subquery: it is a read of files all the same.
  const from = /\bFROM url\(/.test(words) ? 'url' : (/\bFROM (system\.\w+|\S+)/.exec(words)?.[1]?.replace(/\(.*/, '') ?? '');
  const source = from.startsWith('`') ? 'a table' : from.replace(/^\w+\./, '');
  return `${words.split(' ', 2).join(' ')}${source ? ` ... FROM ${source}` : ''}`;
}
// Reads of landed objects from the local S3, each counted when the object was sent whole.
let objectReads = 0;
function countRequests(d: Deps) {
  d.aws.dynamodb.middlewareStack.add(
    (next) => async (args) => {
      ddbRequests++;
      const table = String((args.input as { TableName?: string }).TableName ?? '');
      ddbByTable.set(table, (ddbByTable.get(table) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchCount' },
  );
  for (const method of ['command', 'query', 'exec', 'insert'] as const) {
    const original = (d.clickhouse[method] as (p: unknown) => Promise<unknown>).bind(d.clickhouse);
    (d.clickhouse as unknown as Record<string, unknown>)[method] = (p: { query?: string }) => {
      const kind = queryKind(p.query ?? method);
      chByKind.set(kind, (chByKind.get(kind) ?? 0) + 1);
      chQueries++;
      return original(p);
    };
  }
}
countRequests(deps);
runtime.onObjectRead((read) => {
  if (read.done) objectReads++;
});
const ledgerRequests = () => ddbByTable.get(deps.config.ledgerTable) ?? 0;
const idempotencyRequests = () => ddbByTable.get(deps.config.idempotencyTable) ?? 0;

function fileName(n: number) {
  return `batch/${String(n).padStart(5, '0')}.jsonl`;
}

function landFile(tenant: string, table: TableName, n: number, version = 1, landingDir = runtime.landingDir) {
  const dir = join(landingDir, tenant, 'canonical', table, 'batch');
  mkdirSync(dir, { recursive: true });
  const rows = Array.from({ length: ROWS }, (_, i) => demoRow(CANONICAL.get(table), n * ROWS + i + 1, version));
  const path = join(landingDir, tenant, 'canonical', table, fileName(n));
  // A new file, never a write through a hard link another set of tenants shares.
  rmSync(path, { force: true });
  writeFileSync(path, jsonLines(rows));
}

if (flags['big-file']) await bigFileMode();
else if (flags.components) await componentsMode();
else if (flags.only === 'whole') await finish({ machine: machine(), ...(await wholeProcess()) });
else await pipelineMode();

/** What each load step costs a file, on 200 files of one tenant and table. */
async function componentsMode() {
  const count = 200;
  await deps.tenants.put({ tenantId: 'bench-c', service: 'bench', enabled: true, tables: ['companies'] });
  for (let n = 0; n < count; n++) landFile('bench-c', 'companies', n);
  await runtime.syncLanding();
  const prefix = 'bench-c/canonical/companies/batch/';
  const files = (await deps.store.list(prefix)).map((f) => ({ tenant: 'bench-c', table: 'companies' as const, key: f.key, etag: f.etag }));
  const costs = await measureComponents(deps, files, ROWS, `${deps.config.s3Endpoint}/${deps.config.landingBucket}/${prefix}`, cpuSeconds);
  await finish({ machine: machine(), ...costs });
}

/**
 * One 1 GiB landing file through the pipeline. The file is written by a separate process, so the
 * peak RSS reported is the pipeline's own: the embedded stores and the load.
 */
async function bigFileMode() {
  const dir = join(runtime.landingDir, 'bench-big', 'canonical', 'time_entries');
  mkdirSync(dir, { recursive: true });
  const generator = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'generate-big-file.ts'), join(dir, 'big.jsonl'), String(1024 ** 3)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (generator.status !== 0) throw new Error(`generating the big file failed (exit ${generator.status})`);
  const { bytes } = JSON.parse(generator.stdout) as { bytes: number };
  await deps.tenants.put({ tenantId: 'bench-big', service: 'bench', enabled: true, tables: ['time_entries'] });
  await runtime.syncLanding();
  const baselineRssMb = Math.round(process.memoryUsage.rss() / 1024 ** 2);
  log(`synced to the local S3: RSS ${baselineRssMb} MiB, peak so far ${peakRss()} MiB`);
  const t = performance.now();
  const { value: result, peakAnonMb, fileMbAtPeak } = await sampleMemory(() => runtime.execute({ tenants: ['bench-big'] }));
  if (result.status !== 'SUCCEEDED') throw new Error(`big file failed: ${result.cause}`);
  const bigFile = { bytes, seconds: (performance.now() - t) / 1000, rows: fullReport(result).totals.rows };
  log(`big file: ${(bytes / 1024 ** 2).toFixed(0)} MiB, ${bigFile.rows} rows in ${bigFile.seconds.toFixed(1)} s`);
  // The process's peak so far is the in-engine load's: the streamed load below is sampled on its own.
  const peakRssMb = peakRss();

  // The same file streamed through the Load, under another tenant.
  const streamedDir = join(runtime.landingDir, 'bench-big-streamed', 'canonical', 'time_entries');
  mkdirSync(streamedDir, { recursive: true });
  linkSync(join(dir, 'big.jsonl'), join(streamedDir, 'big.jsonl'));
  await deps.tenants.put({ tenantId: 'bench-big-streamed', service: 'bench', enabled: true, tables: ['time_entries'] });
  await runtime.syncLanding();
  process.env.ONCELOAD_LOAD_PATH = 'streamed';
  await closeDeps();
  deps = await runtime.deps();
  const s = performance.now();
  const streamed = await sampleMemory(() => runtime.execute({ tenants: ['bench-big-streamed'] }));
  if (streamed.value.status !== 'SUCCEEDED') throw new Error(`big file, streamed, failed: ${streamed.value.cause}`);
  const streamedSeconds = (performance.now() - s) / 1000;
  log(`big file, streamed: ${fullReport(streamed.value).totals.rows} rows in ${streamedSeconds.toFixed(1)} s`);

  await finish({
    machine: machine(),
    bigFile: { mib: Math.round(bigFile.bytes / 1024 ** 2), seconds: round(bigFile.seconds), rows: bigFile.rows },
    insertBlockRows: deps.config.insertBlockRows,
    baselineRssMb,
    peakRssMb,
    peakAnonymousRssMb: peakAnonMb,
    fileBackedRssAtPeakMb: fileMbAtPeak,
    streamed: {
      seconds: round(streamedSeconds),
      rows: fullReport(streamed.value).totals.rows,
      peakRssMb: streamed.peakAnonMb + streamed.fileMbAtPeak,
      peakAnonymousRssMb: streamed.peakAnonMb,
      fileBackedRssAtPeakMb: streamed.fileMbAtPeak,
      chunkBytes: deps.config.streamChunkBytes,
    },
  });
}

async function pipelineMode() {
  const files = FILE_COUNT;
  const totalRows = TOTAL_ROWS;

  /** Runs one execution, timing its states by phase from the event log. */
  async function timedRun(input: { tenants?: string[] } = {}) {
    const phases = new PhaseClock();
    const ddb0 = ddbRequests;
    const ledger0 = ledgerRequests();
    const idem0 = idempotencyRequests();
    const ch0 = chQueries;
    const kinds0 = new Map(chByKind);
    const reads0 = objectReads;
    const cpu0 = cpuSeconds();
    const start = performance.now();
    const result = await runtime.execute(input, { onEvent: (event) => phases.observe(event) });
    const { taskSeconds, wallSeconds } = phases.summary();
    const seconds = (performance.now() - start) / 1000;
    if (result.status !== 'SUCCEEDED') throw new Error(`bench execution failed: ${result.cause}`);
    return {
      seconds,
      report: fullReport(result),
      taskSeconds,
      wallSeconds,
      ddb: ddbRequests - ddb0,
      ledger: ledgerRequests() - ledger0,
      idempotency: idempotencyRequests() - idem0,
      ch: chQueries - ch0,
      chByKind: Object.fromEntries([...chByKind].map(([kind, n]) => [kind, n - (kinds0.get(kind) ?? 0)]).filter(([, n]) => Number(n) > 0)),
      objectReads: objectReads - reads0,
      cpu: cpuSince(cpu0),
    };
  }

  // 1 and 2, in rounds: the raw engine and the pipeline's first run on the same files, in turn, each round
  // on a new set of tenants; the order flips each round, so a machine that speeds up or slows down
  // favours neither. The ratio quoted is the median of the rounds'.
  log(`${ROUNDS} round(s) of ${TENANTS} tenants x ${CANONICAL_TABLES.length} tables x ${FILES} files x ${ROWS} rows in ${dataDir}`);
  const rounds: { raw: Awaited<ReturnType<typeof rawLoad>>; pipeline: Awaited<ReturnType<typeof timedRun>> }[] = [];
  let tenants: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    tenants = await landSet(`r${r}`, r === 0 ? undefined : tenants);
    const rawFirst = r % 2 === 0;
    const raw = rawFirst ? await rawLoad(`r${r}`, `bench_raw_${r}`) : undefined;
    const pipeline = await timedRun({ tenants });
    const round = { raw: raw ?? (await rawLoad(`r${r}`, `bench_raw_${r}`)), pipeline };
    if (pipeline.report.totals.rows !== totalRows) throw new Error(`round ${r}: the pipeline loaded ${pipeline.report.totals.rows} rows, not ${totalRows}`);
    rounds.push(round);
    log(`round ${r + 1}: raw engine ${round.raw.seconds.toFixed(2)} s, pipeline ${pipeline.seconds.toFixed(2)} s, ratio ${(round.raw.seconds / pipeline.seconds).toFixed(3)}`);
    log(`  wall by phase: ${Object.entries(pipeline.wallSeconds).map(([phase, s]) => `${phase} ${s.toFixed(2)} s`).join(', ')}`);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const ratio = median(rounds.map((x) => x.raw.seconds / x.pipeline.seconds));
  const middleIndex = rounds.findIndex((x) => x.raw.seconds / x.pipeline.seconds === ratio);
  const middle = rounds[middleIndex]!;
  const first = middle.pipeline;
  const rawSeconds = middle.raw.seconds;
  const rawCpuSeconds = middle.raw.cpu;

  // 3. A no-op re-run, and a re-run after 1% of the files changed.
  const noop = await timedRun({ tenants });
  log(`no-op re-run: ${noop.seconds.toFixed(2)} s, ${noop.ddb} DynamoDB requests`);
  const changedCount = Math.max(1, Math.round(files / 100));
  for (let i = 0; i < changedCount; i++) {
    const tenant = tenants[i % TENANTS]!;
    const table = CANONICAL_TABLES[Math.floor(i / TENANTS) % CANONICAL_TABLES.length]!;
    landFile(tenant, table, Math.floor(i / (TENANTS * CANONICAL_TABLES.length)), 2);
  }
  await runtime.syncLanding();
  const changed = await timedRun({ tenants });
  log(`re-run after ${changedCount} changed file(s): ${changed.seconds.toFixed(2)} s, ${changed.report.totals.loaded} loaded`);

  // 4. The streamed path: the same files under other tenants, read by the Load and streamed into the inserts.
  const streamedTenants = await landSet('streamed', tenants.map((t) => t.replace(/^bench-r\d+-/, 'bench-r0-')));
  process.env.ONCELOAD_LOAD_PATH = 'streamed';
  await closeDeps();
  deps = await runtime.deps();
  countRequests(deps);
  const streamed = await timedRun({ tenants: streamedTenants });
  log(`streamed first run: ${streamed.report.totals.rows} rows in ${streamed.seconds.toFixed(2)} s`);

  // 5. The whole process, on the first round's bytes.
  const whole = await wholeProcess(rounds.length ? tenants.map((t) => t.replace(/^bench-r\d+-/, 'bench-r0-')) : undefined);

  const results = {
    machine: machine(),
    ...whole,
    tenants: TENANTS,
    files,
    rowsPerFile: ROWS,
    rows: totalRows,
    rawSeconds: round(rawSeconds),
    rawRowsPerSec: Math.round(totalRows / rawSeconds),
    pipelineSeconds: round(first.seconds),
    pipelineRowsPerSec: Math.round(totalRows / first.seconds),
    ratio: round(ratio),
    rounds: rounds.map((x) => ({ rawSeconds: round(x.raw.seconds), pipelineSeconds: round(x.pipeline.seconds), ratio: round(x.raw.seconds / x.pipeline.seconds) })),
    noopRerunSeconds: round(noop.seconds),
    changedRerunSeconds: round(changed.seconds),
    changedFiles: changedCount,
    changedLoaded: changed.report.totals.loaded,
    ddbRequestsPerFile: round(first.ddb / files),
    noopDdbRequestsPer100Files: round((noop.ddb / files) * 100),
    noopLedgerRequestsPer100Files: round((noop.ledger / files) * 100),
    noopIdempotencyRequestsPer100Files: round((noop.idempotency / files) * 100),
    ledgerRequestsPerFile: round(first.ledger / files),
    idempotencyRequestsPerFile: round(first.idempotency / files),
    clickhouseQueriesPerFile: round(first.ch / files),
    clickhouseQueriesByKind: first.chByKind,
    landedObjectReadsPerFile: round(first.objectReads / files),
    cpuSeconds: { raw: rawCpuSeconds, pipelineFirstRun: first.cpu, streamedFirstRun: streamed.cpu },
    streamed: {
      seconds: round(streamed.seconds),
      rowsPerSec: Math.round(streamed.report.totals.rows / streamed.seconds),
      ratio: round(rawSeconds / streamed.seconds),
      ddbRequestsPerFile: round(streamed.ddb / files),
      clickhouseQueriesPerFile: round(streamed.ch / files),
      taskSeconds: streamed.taskSeconds,
      wallSeconds: streamed.wallSeconds,
    },
    taskSeconds: first.taskSeconds,
    // The median round's first run by phase, with the stores' start-up (once, before the rounds) and its set's landing sync.
    phases: { storesStart: round(storesStartSeconds), landingSync: round(syncSeconds[middleIndex]!), ...first.wallSeconds },
    validationCost: { firstRun: first.report.cost, noopRerun: noop.report.cost },
    peakRssMb: peakRss(),
  };

  await finish(results);
}

/** A set of tenants with the bench's files: generated once, then hard-linked, so every set holds the same bytes. */
async function landSet(name: string, from?: string[]): Promise<string[]> {
  const tenants = Array.from({ length: TENANTS }, (_, i) => `bench-${name}-${i}`);
  for (const [i, tenant] of tenants.entries()) {
    await deps.tenants.put({ tenantId: tenant, service: 'bench', enabled: true });
    for (const table of CANONICAL_TABLES) {
      for (let n = 0; n < FILES; n++) {
        if (!from) landFile(tenant, table, n);
        else {
          mkdirSync(join(runtime.landingDir, tenant, 'canonical', table, 'batch'), { recursive: true });
          linkSync(join(runtime.landingDir, from[i]!, 'canonical', table, fileName(n)), join(runtime.landingDir, tenant, 'canonical', table, fileName(n)));
        }
      }
    }
  }
  const sync = performance.now();
  await runtime.syncLanding();
  syncSeconds.push((performance.now() - sync) / 1000);
  return tenants;
}

/**
 * The raw engine: the same rows, one INSERT ... SELECT per table straight from the same S3 (or,
 * `from: 'disk'`, from the landing folder with `file()`), into tables of their own.
 */
async function rawLoad(set: string, database: string, from: 'S3' | 'disk' = 'S3') {
  // The glob starts with the set's literal prefix, so the engine lists only this set's keys: with
  // nothing before the first `{` it would list the whole bucket, every earlier round's files too.
  const tenants = `bench-${set}-{0..${TENANTS - 1}}`;
  // The tenant is the path's first part under the bucket, or under the landing folder.
  const tenantPart = from === 'S3' ? 2 : runtime.landingDir.split('/').length + 1;
  await deps.clickhouse.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  const cpu0 = cpuSeconds();
  const t = performance.now();
  for (const table of CANONICAL_TABLES) {
    await deps.clickhouse.command({ query: createTableSql(CANONICAL, table, database) });
    const columns = CANONICAL.get(table).columns.map((c) => c.name);
    const structure = CANONICAL.get(table).columns.map((c) => `${c.name} ${c.type}`).join(', ');
    await deps.clickhouse.command({
      query: `INSERT INTO ${database}.${table} (tenant_id, ${columns.join(', ')}, _file, _etag, _loaded_at)
              SELECT splitByChar('/', _path)[${tenantPart}], ${columns.join(', ')}, _path, '', now64(3)
              FROM ${from === 'S3' ? `s3({url:String}, 'S3RVER', 'S3RVER', 'JSONEachRow', {structure:String})` : `file({url:String}, 'JSONEachRow', {structure:String})`}
              SETTINGS date_time_input_format = 'best_effort', session_timezone = 'UTC'`,
      query_params: {
        url: from === 'S3' ? `${deps.config.s3Endpoint}/${deps.config.landingBucket}/${tenants}/canonical/${table}/batch/*.jsonl` : `${runtime.landingDir}/${tenants}/canonical/${table}/batch/*.jsonl`,
        structure,
      },
    });
  }
  const seconds = (performance.now() - t) / 1000;
  const cpu = cpuSince(cpu0);
  let rows = 0;
  for (const table of CANONICAL_TABLES) {
    const result = await deps.clickhouse.query({ query: `SELECT count() AS n FROM ${database}.${table}`, format: 'JSONEachRow' });
    rows += Number(((await result.json()) as { n: string }[])[0]!.n);
  }
  if (rows !== TOTAL_ROWS) throw new Error(`the raw engine loaded ${rows} rows into ${database}, not ${TOTAL_ROWS}`);
  return { seconds, cpu };
}

/**
 * The whole process: `onceload run` as a child process in a data dir of its own holding a set's
 * files (hard links of `from`'s, or new ones), from a cold start (no store running): first run,
 * no-op re-run, re-run after 1% of the files changed. Beside it, both baselines on the same files
 * in this process: the raw engine from the local disk (`file()`) and through the local S3
 * (`s3()`), each once before the first run and once after it, the faster of the two quoted.
 */
async function wholeProcess(from?: string[]) {
  const tenants = await landSet('w', from);
  const wholeDir = mkdtempSync(join(tmpdir(), 'onceload-bench-whole-'));
  const landing = join(wholeDir, 'landing');
  const csv = join(wholeDir, 'tenants.csv');
  writeFileSync(csv, ['tenant_id,service', ...tenants.map((t) => `${t},bench`)].join('\n'));
  const cli = (args: string[]) => runCli([...args, '--data-dir', wholeDir], { ...userEnv, ONCELOAD_PROGRESS_SECONDS: '0' });
  await cli(['tenants', 'import', csv]);
  for (const tenant of tenants) {
    for (const table of CANONICAL_TABLES) {
      mkdirSync(join(landing, tenant, 'canonical', table, 'batch'), { recursive: true });
      for (let n = 0; n < FILES; n++) linkSync(join(runtime.landingDir, tenant, 'canonical', table, fileName(n)), join(landing, tenant, 'canonical', table, fileName(n)));
    }
  }
  /** One child run, checked: it succeeded and loaded `rows`. */
  const run = async (what: string, rows: number) => {
    const child = await cli(['run', '--json', '--timings']);
    const result = JSON.parse(child.stdout) as { status: string; output: RunReport };
    if (result.status !== 'SUCCEEDED') throw new Error(`whole process, ${what}: ${result.status}`);
    if (result.output.totals.rows !== rows) throw new Error(`whole process, ${what}: ${result.output.totals.rows} rows loaded, not ${rows}`);
    log(`whole process, ${what}: ${child.seconds.toFixed(2)} s, peak RSS ${child.peakRssMb} MiB, ${result.output.totals.loaded} file(s) loaded`);
    return { ...child, loaded: result.output.totals.loaded };
  };
  const disk = [(await rawLoad('w', 'bench_disk_a', 'disk')).seconds];
  const s3 = [(await rawLoad('w', 'bench_s3_a')).seconds];
  log(`raw engine, before: from disk ${disk[0]!.toFixed(2)} s, through the local S3 ${s3[0]!.toFixed(2)} s`);
  const first = await run('first run', TOTAL_ROWS);
  s3.push((await rawLoad('w', 'bench_s3_b')).seconds);
  disk.push((await rawLoad('w', 'bench_disk_b', 'disk')).seconds);
  log(`raw engine, after: from disk ${disk[1]!.toFixed(2)} s, through the local S3 ${s3[1]!.toFixed(2)} s`);
  const noop = await run('no-op re-run', 0);
  const changedCount = Math.max(1, Math.round(FILE_COUNT / 100));
  for (let i = 0; i < changedCount; i++) {
    const tenant = tenants[i % TENANTS]!;
    const table = CANONICAL_TABLES[Math.floor(i / TENANTS) % CANONICAL_TABLES.length]!;
    landFile(tenant, table, Math.floor(i / (TENANTS * CANONICAL_TABLES.length)), 2, landing);
  }
  const changed = await run(`re-run after ${changedCount} changed file(s)`, changedCount * ROWS);
  if (!flags.keep) rmSync(wholeDir, { recursive: true, force: true });
  const rawDisk = Math.min(...disk);
  const rawS3 = Math.min(...s3);
  const row = (r: ChildRun & { loaded: number }) => ({ seconds: round(r.seconds), peakRssMb: r.peakRssMb, filesLoaded: r.loaded, phases: phaseBreakdown(r.timings) });
  return {
    wholeProcess: {
      files: FILE_COUNT,
      rows: TOTAL_ROWS,
      firstRun: row(first),
      noopRerun: row(noop),
      changedRerun: { ...row(changed), changedFiles: changedCount },
      rawFromDiskSeconds: disk.map(round),
      rawThroughLocalS3Seconds: s3.map(round),
      // At least 0.5: within 2x of the engine through the same local S3; at least 0.25 of the engine from disk.
      ratioToRawThroughLocalS3: round(rawS3 / first.seconds),
      ratioToRawFromDisk: round(rawDisk / first.seconds),
    },
  };
}

/**
 * CPU seconds so far of this process (the pipeline's code, dynalite and chDB's threads) and of its
 * children (the stores' processes: the local S3 and dynalite), read from /proc: on 2 shared cores, CPU is what the run competes for.
 */
function cpuSeconds(): { self: number; mainThread: number; children: number } {
  const ticks = 100;
  const stat = (pid: string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const own = stat('self');
  const main = stat(`self/task/${process.pid}`);
  let children = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const fields = stat(pid);
      if (Number(fields[1]) === process.pid) children += (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // The process ended while being read.
    }
  }
  return { self: (Number(own[11]) + Number(own[12])) / ticks, mainThread: (Number(main[11]) + Number(main[12])) / ticks, children };
}

function cpuSince(start: ReturnType<typeof cpuSeconds>) {
  const now = cpuSeconds();
  return {
    process: round(now.self - start.self),
    // JavaScript: the state machine, the handlers, the SDK clients.
    mainThread: round(now.mainThread - start.mainThread),
    // The local S3's and dynalite's processes together.
    storeProcesses: round(now.children - start.children),
  };
}

function round(n: number) {
  return Math.round(n * 1000) / 1000;
}

function machine() {
  return `${process.platform} ${process.arch}, ${cpus().length} cores, node ${process.version}`;
}

function peakRss() {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * Samples /proc/self/status while `fn` runs: the peak of anonymous memory (heaps, buffers: what
 * the work allocates) apart from file-backed pages (mostly chDB's engine library, mapped once).
 */
async function sampleMemory<T>(fn: () => Promise<T>): Promise<{ value: T; peakAnonMb: number; fileMbAtPeak: number }> {
  const read = () => {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { anon: kb('RssAnon'), file: kb('RssFile') };
  };
  let peak = read();
  const timer = setInterval(() => {
    const now = read();
    if (now.anon > peak.anon) peak = now;
  }, 50);
  try {
    const value = await fn();
    return { value, peakAnonMb: Math.round(peak.anon / 1024), fileMbAtPeak: Math.round(peak.file / 1024) };
  } finally {
    clearInterval(timer);
  }
}

async function finish(results: Record<string, unknown>) {
  await runtime.close();
  if (!flags.keep) rmSync(dataDir, { recursive: true, force: true });
  if (flags.json) console.log(JSON.stringify(results, null, 2));
  else console.table(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v])));
}
