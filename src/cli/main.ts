/**
 * The `onceload` command line: the embedded runtime's front door, and `trigger` and `status` to
 * start and watch executions of a stage's state machine deployed on AWS.
 * Exit codes: 0 success, 1 a run failed or did not validate, 2 bad usage, bad input or a bad setting.
 * Every problem is one stderr line, `onceload: <what is wrong>`; reports go to stdout.
 */
import { verify, verifyText } from '../lib/audit.js';
import { FILE_STATUSES, filesText, queryFiles, resetFiles } from './files-query.js';
import { Command, CommanderError, Option } from 'commander';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';
import { InputError } from '../errors.js';
import { assertTenantId } from '../lib/execution-input.js';
import { DataDirBusyError } from '../local/data-dir-lock.js';
import { DEMO_TENANTS, writeDemoLanding } from '../local/demo-data.js';
import { DEFAULT_DATA_DIR, LOCAL_RUN_ID, LocalRuntime, newExecutionName } from '../local/runtime.js';
import type { ExecutionResult } from '../local/state-machine.js';
import type { RunReport } from '../lib/validate.js';
import { withRuntime, withStores, withStoresAndWarehouse, withWarehouse, type StoreFlags } from './store-targets.js';
import { DEFAULT_LOG_LIMIT, logText, parseOutcome, parseSince } from './load-log-command.js';
import { LOG_OUTCOMES, type FileStatus, type LogOutcome } from '../ports.js';
// The AWS-facing commands (and the Step Functions client) load only when trigger or status runs.
import type { RemoteDeps, TriggerFlags } from '../remote/commands.js';
import { RemoteError } from '../remote/errors.js';
import { DEFAULT_INTERVAL_SECONDS, nonNegativeSeconds } from '../remote/settings.js';
import { loadTables } from '../table-config.js';
import type { TableName } from '../tables.js';
import { addTableCommands } from './table-commands.js';
import { parseEvery } from './every.js';
import { parseStartSince, parseStartAfter } from '../lib/start-point.js';
import { demoNextSteps } from './demo-next.js';
import { markTenant } from '../lib/arrivals.js';
import { listRuns } from '../lib/run-history.js';
import { localStatus, runsText, usageLine } from './run-history-commands.js';
import { addTenant, removeTenant, tenantsText, updateTenant } from './tenant-commands.js';
import { importTenants, readTenantFile, summaryText } from './tenants-import.js';
import { assertClickHouseAnswers, describeClickHouse } from './clickhouse-target.js';
import { progressIntervalMs, RunProgress } from './progress.js';
import { interruptedText } from './progress-text.js';
import { onInterrupt } from './interrupt.js';
import { DEFAULT_CONSOLE_PORT, serveConsole, type ConsoleFlags } from '../console/serve.js';
import { ConsoleClient, runningConsole } from '../console/client.js';
import { filesViaConsole, runsViaConsole, runViaConsole, sqlViaConsole, statusViaConsole, tenantsViaConsole } from './via-console.js';
import { RunTimings } from './run-timings.js';
import { projectPath } from '../project-root.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function list(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}

/** A comma-separated option that must name at least one thing: `--tenants ""` is a mistake, not "all". */
const nonEmptyList = (flag: string, example: string) => (value: string) => {
  const items = list(value);
  if (items.length === 0) throw new InputError(`give at least one, e.g. ${flag} ${example}`, flag);
  return items;
};
const tenantsOption = nonEmptyList('--tenants', 'acme,globex');

function tablesOption(value: string): TableName[] {
  const tables = nonEmptyList('--tables', 'companies,tickets')(value);
  const configured = loadTables();
  for (const t of tables) {
    if (!configured.has(t)) throw new InputError(`unknown table ${JSON.stringify(t)}; expected one of ${configured.names.join(', ')} (${configured.source})`, '--tables');
  }
  return tables;
}

/** One configured table, refused by name with the flag that gave it. */
function configuredTable(value: string, flag: string): TableName {
  const configured = loadTables();
  if (!configured.has(value)) throw new InputError(`unknown table ${JSON.stringify(value)}; expected one of ${configured.names.join(', ')} (${configured.source})`, flag);
  return value;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InputError(`expected a port from 0 to 65535, got ${JSON.stringify(value)}`, '--port');
  return n;
}

function positiveInt(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InputError(`expected a whole number of at least 1, got ${JSON.stringify(value)}`, flag);
    return n;
  };
}

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'where the embedded stores keep their data').env('ONCELOAD_DATA_DIR').default(DEFAULT_DATA_DIR);

/** --stage: the command works on a deployed stage (with the caller's AWS credentials) instead of the embedded runtime. */
const stageOptions = (command: Command) =>
  command
    .option('--stage <stage>', "a deployed stage's tables (and ClickHouse) instead of the embedded runtime's")
    .option('--region <region>', "the AWS region of the stage (default: AWS_REGION or the profile's)");

/** The console holding the local data dir, when one does: the command asks it (never with --stage). */
function consoleFor(flags: { dataDir: string; stage?: string }): ConsoleClient | undefined {
  if (flags.stage !== undefined) return undefined;
  const address = runningConsole(flags.dataDir);
  return address ? new ConsoleClient(address) : undefined;
}

function noTenants(dataDir: string): InputError {
  return new InputError(
    `no tenants in the data dir ${dataDir}: add one with \`onceload tenants add <tenant-id>\` and drop its files in ${dataDir}/landing/<tenant-id>/canonical/<table>/, or try \`onceload demo\``,
  );
}

interface RunFlags {
  tenants?: string[];
  tables?: TableName[];
  executions: number;
  dryRun?: boolean;
  due?: boolean;
  json?: boolean;
  timings?: boolean;
  dataDir: string;
}

type RunResult = ExecutionResult & { report?: RunReport };

/** The full report's text for stdout; an execution that ended with no report is said on stderr. */
function reportText(result: RunResult): string | undefined {
  if (result.report) return `${result.report.text}\n\n${usageLine(result.usage)}`;
  if (result.status === 'SUCCEEDED') return JSON.stringify(result.output, null, 2);
  const why = result.status === 'ABORTED' ? 'was aborted' : `failed: ${result.cause ?? result.error ?? 'no cause given'}`;
  // The input's own refusal already names the field; other failures name the execution.
  process.stderr.write(result.error === 'InputError' ? `onceload: ${result.cause}\n` : `onceload: execution ${result.executionName} ${why}\n`);
  return undefined;
}

/** Runs N executions at once with the same input; returns the exit code. */
async function runExecutions(runtime: LocalRuntime, flags: RunFlags, out: (text: string) => void, timings?: RunTimings): Promise<number> {
  const input = {
    ...(flags.tenants ? { tenants: flags.tenants } : {}),
    ...(flags.tables ? { tables: flags.tables } : {}),
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.due ? { due: true } : {}),
  };
  await assertClickHouseAnswers(await runtime.deps());
  timings?.mark('preflight');
  const names = Array.from({ length: flags.executions }, () => newExecutionName());
  // --json keeps stderr for problems only: no bar, no lines.
  const progress = new RunProgress({ stream: process.stderr, tty: !flags.json && process.stderr.isTTY === true, intervalMs: flags.json ? 0 : progressIntervalMs() });
  const stopInterrupt = onInterrupt(async () => {
    progress.stop();
    process.stderr.write(`onceload: ${interruptedText(names, progress.phase, progress.syncProgress, progress.load.snapshot())}\n`);
    await runtime.abandon();
  });
  const stopReads = runtime.onObjectRead(progress.onRead);
  let results: RunResult[];
  try {
    const sync = await runtime.syncLanding(progress.onSync);
    if (!flags.json && sync.uploaded > 0) progress.log(`synced ${sync.uploaded} new or changed landing file(s)`);
    timings?.mark('landingSync');
    progress.loading();
    const onEvent = timings
      ? (event: Parameters<typeof progress.onEvent>[0]) => {
          progress.onEvent(event);
          timings.observe(event);
        }
      : progress.onEvent;
    results = await Promise.all(names.map((executionName) => runtime.execute(input, { executionName, onEvent })));
    timings?.mark('execution');
  } finally {
    progress.stop();
    stopReads();
    stopInterrupt();
  }
  if (flags.json) {
    // The full structured report whatever the outcome, in place of Validate's summary or the Fail state's cause.
    const structured = results.map(({ report, ...r }) => {
      if (report === undefined) return r;
      const { cause: _summary, output: _summaryOutput, ...rest } = r;
      return { ...rest, output: report };
    });
    out(JSON.stringify(structured.length === 1 ? structured[0] : structured, null, 2));
  } else {
    const texts = results.map(reportText).filter((t) => t !== undefined);
    if (texts.length) out(texts.join('\n\n'));
  }
  timings?.mark('report');
  if (results.some((r) => r.status === 'FAILED' && r.error === 'InputError')) return EXIT_USAGE;
  return results.every((r) => r.status === 'SUCCEEDED') ? 0 : EXIT_FAILED;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string }).version;
}

/** `remote` replaces parts of what trigger and status use on AWS (the Step Functions client, stderr, the clock). */
export function buildProgram(out: (text: string) => void, setExit: (code: number) => void, remote: Partial<RemoteDeps> = {}): Command {
  const program = new Command('onceload')
    .description('Load every landed file of every enabled tenant into ClickHouse exactly once: locally on the embedded runtime, or on a deployed stage (trigger, status).')
    .version(packageVersion(), '-V, --version', 'print the version')
    // One style for every message: `onceload: <what is wrong>` (commander's own say `error: ...`).
    .configureOutput({ outputError: (text, write) => write(`onceload: ${text.replace(/^error: /, '')}`) })
    .exitOverride()
    .showHelpAfterError();

  program
    .command('demo')
    .description('seed demo tenants and landing files (when the data dir has none), run, print the report and what to try next')
    .addOption(dataDirOption())
    .action(async (flags: { dataDir: string }) => {
      await withRuntime(flags.dataDir, async (runtime) => {
        const deps = await runtime.deps();
        const hasLanding = existsSync(runtime.landingDir) && readdirSync(runtime.landingDir).length > 0;
        if ((await deps.tenants.list()).length === 0 && !hasLanding) {
          for (const tenantId of DEMO_TENANTS) await deps.tenants.put({ tenantId, service: 'demo', enabled: true });
          const seeded = writeDemoLanding(runtime.landingDir, deps.config.tables);
          process.stderr.write(`seeded ${DEMO_TENANTS.length} demo tenants and ${seeded.files} landing files (${seeded.rows} rows) in ${runtime.landingDir}\n`);
        }
        const code = await runExecutions(runtime, { executions: 1, dataDir: flags.dataDir }, out);
        const [latest] = await listRuns(deps.runs, 1);
        if (code === 0) out(demoNextSteps(runtime.dataDir, flags.dataDir, deps.config, latest?.runId));
        setExit(code);
      });
    });

  const tenants = program.command('tenants').description('manage the tenants in the TenantServices table, locally or of a deployed stage (--stage)');
  const settingOptions = (command: Command) =>
    command
      .option('--service <name>', 'the service the tenant uses (add: default)')
      .option('--tables <list>', 'comma-separated configured tables (add: all)', tablesOption)
      .option('--every <duration>', 'run --due takes it once this long has passed since its last success: 15m, 1h, 1d (add: every run)', parseEvery)
      .option('--since <date>', 'start point: files last modified before this date (2026-01-01, midnight UTC) or time (2026-01-01T08:00:00Z) are skipped, not loaded', (v: string) => parseStartSince(v))
      .option('--start-after <key>', 'start point: files whose key, relative to each table folder, sorts at or before this one (e.g. 2025/12/31/) are skipped, not loaded')
      .addOption(dataDirOption());
  type SettingFlags = StoreFlags & { service?: string; tables?: TableName[]; every?: number | false; since?: string | false; startAfter?: string | false; disabled?: boolean; enable?: boolean; disable?: boolean };
  /** The settings of the flags, the start key checked against the tenant's id. */
  const settingsOf = (id: string, flags: SettingFlags) => ({ ...flags, ...(typeof flags.startAfter === 'string' ? { startAfter: parseStartAfter(flags.startAfter, id) } : {}) });
  stageOptions(
    settingOptions(tenants.command('add <tenant-id>').description('add a new tenant (an existing one is refused: use tenants update)')).option('--disabled', 'add it disabled: runs skip it'),
  ).action(async (id: string, flags: SettingFlags) => {
    assertTenantId(id);
    settingsOf(id, flags);
    await withStores(flags, 'dynamodb:UpdateItem', async ({ tenants: directory, arrivals }) => {
      // Files may have landed before the tenant was registered: the next tick looks at its tables.
      out(await addTenant(directory, id, { ...settingsOf(id, flags), ...(flags.disabled ? { enabled: false } : {}) }, (t) => markTenant(t, loadTables(), arrivals)));
    });
  });
  stageOptions(
    settingOptions(tenants.command('update <tenant-id>').description("change a tenant's settings: only the ones given"))
      .option('--no-every', 'remove its schedule: every run takes it')
      .option('--no-since', 'remove the --since start point: the files it skipped load on the next run (unless --start-after still skips them)')
      .option('--no-start-after', 'remove the --start-after start point: the files it skipped load on the next run (unless --since still skips them)')
      .addOption(new Option('--enable', 'enable it'))
      .addOption(new Option('--disable', 'disable it: runs skip it').conflicts('enable')),
  ).action(async (id: string, flags: SettingFlags) => {
    assertTenantId(id);
    settingsOf(id, flags);
    await withStores(flags, 'dynamodb:UpdateItem', async ({ tenants: directory, arrivals }) => {
      const enabled = flags.enable ? true : flags.disable ? false : undefined;
      out(await updateTenant(directory, id, { ...settingsOf(id, flags), ...(enabled !== undefined ? { enabled } : {}) }, (t) => markTenant(t, loadTables(), arrivals)));
    });
  });
  stageOptions(tenants.command('remove <tenant-id>').description('remove a tenant; its file ledger is kept').addOption(dataDirOption())).action(
    async (id: string, flags: StoreFlags) => {
      assertTenantId(id);
      await withStores(flags, 'dynamodb:DeleteItem', async ({ tenants: directory }) => out(await removeTenant(directory, id)));
    },
  );
  stageOptions(
    tenants
      .command('import <file>')
      .description('add and update tenants from a CSV with a header (.csv) or JSON lines (.jsonl, .ndjson, .json): tenant_id, service, tables, every, enabled, since, start_after; every row is checked before any is written')
      .option('--json', 'print the summary as JSON')
      .addOption(dataDirOption()),
  ).action(async (file: string, flags: StoreFlags & { json?: boolean }) => {
    const rows = readTenantFile(file, loadTables());
    const summary = await withStores(flags, 'dynamodb:BatchWriteItem', async ({ tenants: directory, arrivals }) => {
      const imported = await importTenants(directory, file, rows, flags.json ? undefined : (line) => process.stderr.write(`${line}\n`));
      // Too many tenants to mark one by one: the next scheduled tick lists everything instead.
      await arrivals.requestSweep();
      return imported;
    });
    out(flags.json ? JSON.stringify(summary) : summaryText(summary));
  });
  stageOptions(tenants.command('list').description('list the tenants').addOption(dataDirOption())).action(async (flags: StoreFlags) => {
    const viaConsole = consoleFor(flags);
    if (viaConsole) return out(await tenantsViaConsole(viaConsole));
    await withStores(flags, 'dynamodb:Scan', async ({ tenants: directory }) => {
      out(tenantsText(await directory.list()));
    });
  });

  program
    .command('run')
    .description('sync the landing folder and run the state machine')
    .option('--tenants <list>', 'comma-separated tenant ids (default: every enabled tenant)', tenantsOption)
    .option('--tables <list>', 'comma-separated configured tables (default: all)', nonEmptyList('--tables', 'companies,tickets'))
    .option('--executions <n>', 'start N executions at once with the same input', positiveInt('--executions'), 1)
    .option('--dry-run', 'plan and report what would load; write nothing')
    .option('--due', 'only the tenants whose schedule (tenants add/update --every) says they are due, as the schedule rule runs')
    .option('--json', 'print the execution output(s) as JSON')
    .option('--timings', "print on stderr where the process's time went: start-up, stores, landing sync, each phase of the executions, shutdown")
    .addOption(dataDirOption())
    .action(async (flags: RunFlags) => {
      const timings = flags.timings ? new RunTimings() : undefined;
      timings?.mark('startup');
      LocalRuntime.checkSettings({ dataDir: flags.dataDir });
      progressIntervalMs();
      const viaConsole = consoleFor(flags);
      if (viaConsole) return setExit(await runViaConsole(viaConsole, flags, out));
      // A data dir that is not there is not made just to report an empty run.
      if (!existsSync(flags.dataDir)) throw noTenants(flags.dataDir);
      await withRuntime(flags.dataDir, async (runtime) => {
        timings?.mark('storesStart');
        if ((await (await runtime.deps()).tenants.list()).length === 0) throw noTenants(flags.dataDir);
        setExit(await runExecutions(runtime, flags, out, timings));
      });
      timings?.mark('shutdown');
      if (timings) process.stderr.write(`${timings.line()}\n`);
    });

  const files = program.command('files').description('the file ledger: list it, or reset files to load them again');
  stageOptions(
    files
      .command('list', { isDefault: true })
      .description('list the file ledger (the default)')
      .option('--tenant <id>', 'one tenant')
      .option('--table <name>', 'one table', (v: string) => tablesOption(v)[0]!)
      .addOption(new Option('--status <status>', 'one status').choices(FILE_STATUSES))
      .option('--json', 'print the entries as a JSON array')
      .addOption(dataDirOption()),
  ).action(async (flags: StoreFlags & { tenant?: string; table?: TableName; status?: FileStatus | 'ignored'; json?: boolean }) => {
    const viaConsole = consoleFor(flags);
    if (viaConsole) return out(await filesViaConsole(viaConsole, { tenant: flags.tenant, table: flags.table, status: flags.status }, flags.json === true));
    await withStores(flags, 'dynamodb:Query', async (deps) => {
      out(filesText(await queryFiles(deps, flags), flags.json === true));
    });
  });
  stageOptions(
    files
      .command('reset')
      .description('mark files to load again on the next run, under a new deduplication token')
      .option('--tenant <id>', 'the tenant')
      .option('--table <name>', 'the table', (v: string) => tablesOption(v)[0]!)
      .option('--all-tables', "every table of --tenant")
      .option('--all', 'every tenant and table')
      .option('--key <key>', 'one S3 key (with --tenant and --table)')
      .addOption(new Option('--status <status>', 'every file with this status (skipped: load them although they are before the start point)').choices(['loaded', 'failed', 'skipped']))
      .addOption(dataDirOption()),
  ).action(async (flags: StoreFlags & { tenant?: string; table?: TableName; allTables?: boolean; all?: boolean; key?: string; status?: 'loaded' | 'failed' | 'skipped' }) => {
    if ((flags.key === undefined) === (flags.status === undefined)) throw new InputError('give exactly one of --key and --status', '--key');
    const scopes = [flags.tenant !== undefined && flags.table !== undefined, flags.tenant !== undefined && flags.allTables === true, flags.all === true];
    if (scopes.filter(Boolean).length !== 1 || (flags.all && (flags.tenant !== undefined || flags.table !== undefined || flags.allTables))) {
      throw new InputError('name the files: --tenant T --table X, --tenant T --all-tables, or --all', '--tenant');
    }
    if (flags.key !== undefined && (flags.all || flags.allTables)) throw new InputError('--key names one file: give it with --tenant and --table', '--key');
    if (flags.tenant !== undefined) assertTenantId(flags.tenant);
    await withStores(flags, 'dynamodb:UpdateItem', async (deps) => {
      const { total, byItem } = await resetFiles(deps, flags);
      if (flags.table === undefined) for (const i of byItem) out(`reset ${i.reset} file(s) of ${i.tenant}/${i.table}`);
      out(flags.all !== true && flags.table !== undefined ? `reset ${total} file(s) of ${flags.tenant}/${flags.table}; the next run loads them again` : `reset ${total} file(s) in all; the next run loads them again`);
      if (total === 0) setExit(EXIT_FAILED);
    });
  });

  stageOptions(
    program
      .command('verify')
      .description('count every loaded file version again from its object and compare with the table: lost, doubled and stray rows, by file; exit 1 when any')
      .option('--tenant <id>', 'one tenant')
      .option('--table <name>', 'one table', (v: string) => tablesOption(v)[0]!)
      .option('--json', 'print the findings as JSON')
      .addOption(dataDirOption()),
  ).action(async (flags: StoreFlags & { tenant?: string; table?: TableName; json?: boolean }) => {
    if (flags.tenant !== undefined) assertTenantId(flags.tenant);
    await withStoresAndWarehouse(flags, 'dynamodb:Query', async (deps) => {
      const tenants = flags.tenant ? [flags.tenant] : (await deps.tenants.list()).map((t) => t.tenantId);
      const report = await verify({ tenants, tables: flags.table ? [flags.table] : deps.config.tables.names }, deps);
      out(flags.json ? JSON.stringify(report, null, 2) : verifyText(report));
      if (!report.ok) setExit(EXIT_FAILED);
    });
  });

  stageOptions(
    program
      .command('log')
      .description('the load log in ClickHouse: one row per file version outcome (loaded, failed, superseded, skipped), newest first')
      .option('--tenant <id>', 'one tenant')
      .option('--table <name>', 'one table', (v: string) => configuredTable(v, '--table'))
      .option('--outcome <outcome>', `one outcome: ${LOG_OUTCOMES.join(', ')}`, parseOutcome)
      .option('--since <when>', 'finished since a date or time (UTC), e.g. 2026-12-01, or a duration ago, e.g. 24h or 7d', (v: string) => parseSince(v))
      .option('--limit <n>', `how many rows (default ${DEFAULT_LOG_LIMIT})`, positiveInt('--limit'), DEFAULT_LOG_LIMIT)
      .option('--json', 'print the rows as a JSON array')
      .addOption(dataDirOption()),
  ).action(async (flags: StoreFlags & { tenant?: string; table?: TableName; outcome?: LogOutcome; since?: string; limit: number; json?: boolean }) => {
    if (flags.tenant !== undefined) assertTenantId(flags.tenant);
    const { tenant, table, outcome, since, limit } = flags;
    const filter = { limit, ...(tenant !== undefined ? { tenant } : {}), ...(table !== undefined ? { table } : {}), ...(outcome ? { outcome } : {}), ...(since ? { since } : {}) };
    await withWarehouse(flags, async (deps) => out(await logText(deps.loadLog, filter, flags.json === true)));
  });

  program
    .command('sql <query>')
    .description('run a query on the ClickHouse that runs load into (chDB in the data dir, or ONCELOAD_CLICKHOUSE_URL) and print the result')
    .option('--format <format>', 'ClickHouse output format', 'TabSeparated')
    .addOption(dataDirOption())
    .action(async (query: string, flags: { format: string; dataDir: string }) => {
      const viaConsole = consoleFor(flags);
      if (viaConsole) {
        process.stderr.write(`querying the ClickHouse of the console at ${viaConsole.url}\n`);
        process.stdout.write(await sqlViaConsole(viaConsole, query, flags.format));
        return;
      }
      await withRuntime(flags.dataDir, async (runtime) => {
        const deps = await runtime.deps();
        process.stderr.write(`querying ${describeClickHouse(deps.config)}\n`);
        await assertClickHouseAnswers(deps);
        const result = await deps.clickhouse.exec({ query, clickhouse_settings: { default_format: flags.format as 'TabSeparated' } });
        const chunks: Buffer[] = [];
        for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Buffer));
        process.stdout.write(Buffer.concat(chunks));
      });
    });

  addTableCommands(program, { out, setExit, dataDirOption, stageOptions });

  program
    .command('console')
    .description('a console in the browser: runs, their state graphs and reports, the file ledger; holds the data dir until Ctrl-C')
    .option('--port <port>', 'the port on 127.0.0.1 (0: any free one)', port, DEFAULT_CONSOLE_PORT)
    .option('--host <host>', 'the loopback address to listen on: 127.0.0.1, localhost or ::1', '127.0.0.1')
    .addOption(dataDirOption())
    .action(async (flags: ConsoleFlags) => setExit(await serveConsole(flags, out)));

  const remoteCommands = () => import('../remote/commands.js');
  const remoteDeps = async (): Promise<RemoteDeps> => ({ ...(await remoteCommands()).defaultRemoteDeps(), ...remote });
  program
    .command('trigger')
    .description('start an execution of the state machine a stage deployed on AWS; an identical trigger in the same minute starts nothing new')
    .option('--stage <stage>', 'the SST stage whose state machine to start')
    .addOption(new Option('--state-machine-arn <arn>', 'start this state machine instead of looking the stage up').conflicts('stage'))
    .option('--tenants <list>', 'comma-separated tenant ids (default: every enabled tenant)', tenantsOption)
    .option('--tables <list>', 'comma-separated configured tables (default: all)', tablesOption)
    .option('--due', 'only the tenants whose schedule is due (what the schedule rule starts)')
    .option('--dry-run', 'plan and report what would load; write nothing')
    .option('--watch', 'show progress until the execution ends, print the report and exit like run')
    .option('--interval <seconds>', 'seconds between polls with --watch', nonNegativeSeconds, DEFAULT_INTERVAL_SECONDS)
    .option('--region <region>', "the AWS region (default: the ARN's, AWS_REGION or the profile's)")
    .action(async (flags: TriggerFlags) => setExit(await (await remoteCommands()).triggerCommand(flags, await remoteDeps(), out)));

  program
    .command('status <run>')
    .description("show a run: a local run by its id (see onceload runs), or an execution on AWS by its ARN: its state, start and stop dates, and the run report")
    .option('--region <region>', "the AWS region (default: the ARN's)")
    .option('--json', 'a local run as JSON: its record and its full report')
    .addOption(dataDirOption())
    .action(async (run: string, flags: { region?: string; json?: boolean; dataDir: string }) => {
      // Local runs are named run-<UTC time>-<hex> (newExecutionName); anything else is an execution ARN.
      if (!LOCAL_RUN_ID.test(run)) return setExit(await (await remoteCommands()).statusCommand(run, flags, await remoteDeps(), out));
      const viaConsole = consoleFor(flags);
      if (viaConsole) {
        const shown = await statusViaConsole(viaConsole, run, flags.json === true);
        out(shown.text);
        if (!shown.ok) setExit(EXIT_FAILED);
        return;
      }
      await withRuntime(flags.dataDir, async (runtime) => {
        const shown = await localStatus((await runtime.deps()).runs, run, flags.json === true);
        out(shown.text);
        if (!shown.ok) setExit(EXIT_FAILED);
      });
    });

  program
    .command('runs')
    .description('the latest local runs, newest first: id, start, duration, status, files loaded, rows, failed files')
    .option('--limit <n>', 'how many', positiveInt('--limit'), 20)
    .option('--json', 'as JSON')
    .addOption(dataDirOption())
    .action(async (flags: { limit: number; json?: boolean; dataDir: string }) => {
      const viaConsole = consoleFor(flags);
      if (viaConsole) return out(await runsViaConsole(viaConsole, flags.limit, flags.json === true));
      await withRuntime(flags.dataDir, async (runtime) => out(await runsText((await runtime.deps()).runs, flags.limit, flags.json === true)));
    });

  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[], out: (text: string) => void = (t) => console.log(t), remote: Partial<RemoteDeps> = {}): Promise<number> {
  let code = 0;
  const program = buildProgram(out, (c) => (code = c), remote);
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof InputError || error instanceof ConfigError) {
      process.stderr.write(`onceload: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof RemoteError) {
      process.stderr.write(`onceload: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof DataDirBusyError) {
      process.stderr.write(`onceload: ${error.message}\n`);
      return EXIT_FAILED;
    }
    process.stderr.write(`onceload: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}
