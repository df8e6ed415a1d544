/**
 * The deployment, proven offline: `npm run synth` synthesizes the SST app the way `sst deploy`
 * loads it (no AWS call, no credentials), and these tests assert on the CloudFormation it writes.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import aslValidator from 'asl-validator';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_PLACEHOLDERS, placeholders, readDefinition, substituteDefinition } from '../../src/definition.js';
import { FUNCTION_SETTINGS, MARK_ARRIVAL_SETTINGS } from '../../src/function-settings.js';
import { arrivalsTableName, ledgerTableName, stateMachineName, tenantsTableName } from '../../src/naming.js';
import { MAP_RESULTS_PREFIX } from '../../src/lib/run-layout.js';
import { lambdaContext } from '../../src/local/lambda-context.js';
import { LocalRuntime } from '../../src/local/runtime.js';
import { DEFAULT_SCHEDULE } from '../../stacks/stage-config.js';
import { CANONICAL_TABLES, loadTables } from '../../src/table-config.js';

const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

/** Runs `npm run synth` for a stage in a child process with the given extra environment. */
async function synth(stage: string, env: Record<string, string> = {}): Promise<Template> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('ONCELOAD_')));
  await run(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/synth.ts', '--stage', stage], {
    cwd: root,
    // No credentials at all: synthesis must not need them.
    env: { ...clean, ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'onceload-no-such-profile' },
  });
  return Template.fromJSON(JSON.parse(readFileSync(join(root, '.sst', 'synth', `${stage}-onceload-Pipeline.template.json`), 'utf8')));
}

function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

function functionIdByHandler(template: Template): Record<string, string> {
  return Object.fromEntries(
    Object.entries(resourcesOf(template, 'AWS::Lambda::Function'))
      .filter(([, r]) => String(r.Properties.Handler).startsWith('functions/'))
      .map(([id, r]) => [String(r.Properties.Handler).replace(/^functions\/|\.handler$/g, ''), id]),
  );
}

/** Every function's settings: the state machine's five and the arrival marker. */
const ALL_SETTINGS: Record<string, { memoryMb: number; timeoutSeconds: number }> = { ...FUNCTION_SETTINGS, 'mark-arrival': MARK_ARRIVAL_SETTINGS };

const scheduleRule = (template: Template) => Object.values(resourcesOf(template, 'AWS::Events::Rule')).find((r) => r.Properties.ScheduleExpression);

/** Policy statements attached to the role of one function. */
function statementsOf(template: Template, functionId: string): { Action: string | string[]; Resource: unknown }[] {
  const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionId]!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const actionsOf = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const mentions = (value: unknown, id: string) => JSON.stringify(value).includes(`"${id}"`);

let dev: Template;
let prod: Template;

/** The example's tables and 30 more of 20 columns each: far more than a Lambda environment's 4 KB. */
const WIDE_TABLES = join(mkdtempSync(join(tmpdir(), 'onceload-tables-')), 'onceload.tables.json');
const WIDE_COUNT = 30;
function writeWideTables(): void {
  const example = JSON.parse(readFileSync(join(root, 'onceload.tables.example.json'), 'utf8')) as { tables: Record<string, unknown> };
  const columns = [{ name: 'id', type: 'UInt64' }, { name: 'last_updated', type: 'DateTime64(3)' }, ...Array.from({ length: 18 }, (_, n) => ({ name: `attribute_${n}`, type: 'Nullable(String)' }))];
  for (let n = 0; n < WIDE_COUNT; n++) example.tables[`wide_${String(n).padStart(2, '0')}`] = { columns };
  writeFileSync(WIDE_TABLES, JSON.stringify(example));
}

beforeAll(async () => {
  writeWideTables();
  dev = await synth('dev');
  prod = await synth('prod', {
    ONCELOAD_SCHEDULE_ENABLED: 'false',
    ONCELOAD_SCHEDULE: 'cron(0 2 * * ? *)',
    ONCELOAD_LANDING_BUCKET_NAME: 'acme-landing',
    ONCELOAD_LOAD_PATH: 'streamed',
    ONCELOAD_MAP_CONCURRENCY: '40',
    ONCELOAD_TABLES_FILE: WIDE_TABLES,
  });
}, 180_000);

describe('the state machine', () => {
  it('is the ASL file itself, with every placeholder filled by a function of the stack', () => {
    const [machine] = Object.values(resourcesOf(dev, 'AWS::StepFunctions::StateMachine'));
    expect(machine!.Properties.StateMachineName).toBe(stateMachineName('dev'));
    expect(machine!.Properties.DefinitionString).toBe(readDefinition());
    const substitutions = machine!.Properties.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
    expect(Object.keys(substitutions).sort()).toEqual(placeholders(readDefinition()).sort());
    const byHandler = functionIdByHandler(dev);
    for (const [placeholder, fn] of Object.entries(FUNCTION_PLACEHOLDERS)) {
      expect(substitutions[placeholder], placeholder).toEqual({ 'Fn::GetAtt': [byHandler[fn], 'Arn'] });
    }
  });

  it('passes asl-validator once substituted, and every Task calls a function the role may invoke', () => {
    const [machine] = Object.values(resourcesOf(dev, 'AWS::StepFunctions::StateMachine'));
    const substitutions = machine!.Properties.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;
    const arns = Object.fromEntries(Object.entries(substitutions).map(([k, v]) => [k, `arn:aws:lambda:us-east-1:123456789012:function:${v['Fn::GetAtt'][0]}`]));
    const definition = JSON.parse(substituteDefinition(machine!.Properties.DefinitionString as string, arns));
    const result = aslValidator(definition, { checkArn: true, checkPaths: true });
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);

    const roleId = machine!.Properties.RoleArn['Fn::GetAtt'][0] as string;
    const invokable = Object.values(resourcesOf(dev, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    for (const placeholder of Object.keys(FUNCTION_PLACEHOLDERS)) {
      const fnId = substitutions[placeholder]!['Fn::GetAtt'][0];
      expect(invokable.some((s) => mentions(s.Resource, fnId)), `${placeholder} invokable`).toBe(true);
    }
  });

  it('runs the tenant x table Map as a Distributed Map whose child executions its role may start and stop', () => {
    const [machine] = Object.values(resourcesOf(dev, 'AWS::StepFunctions::StateMachine'));
    const definition = JSON.parse(machine!.Properties.DefinitionString as string);
    const outer = definition.States['Plan and load every tenant and table'];
    expect(outer.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    const roleId = machine!.Properties.RoleArn['Fn::GetAtt'][0] as string;
    const statements = Object.values(resourcesOf(dev, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const start = statements.find((s) => actionsOf(s).includes('states:StartExecution'));
    expect(JSON.stringify(start?.Resource)).toContain(`:stateMachine:${stateMachineName('dev')}`);
    const describe = statements.find((s) => actionsOf(s).includes('states:DescribeExecution'));
    expect(JSON.stringify(describe?.Resource)).toContain(`:execution:${stateMachineName('dev')}/*`);
    // Its items come from the manifest Discover writes, its results go to the runs bucket: no state carries them.
    expect(outer.ItemReader).toMatchObject({ Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSONL' } });
    expect(outer.ResultWriter).toMatchObject({ Resource: 'arn:aws:states:::s3:putObject' });
    expect(outer.ItemsPath).toBeUndefined();
    const runs = Object.keys(resourcesOf(dev, 'AWS::S3::Bucket')).find((id) => id.startsWith('Runs'))!;
    const onRuns = (action: RegExp) => statements.some((s) => mentions(s.Resource, runs) && actionsOf(s).some((a) => action.test(a)));
    expect(onRuns(/^s3:GetObject/)).toBe(true);
    expect(onRuns(/^s3:PutObject/)).toBe(true);
    expect(onRuns(/^s3:(List|Abort)/)).toBe(true);
    // Only its own prefixes, and never a delete: it reads the manifests under runs/ and writes the results under map-runs/.
    expect(outer.ResultWriter.Parameters.Prefix).toBe(MAP_RESULTS_PREFIX);
    const objectResources = statements.filter((s) => mentions(s.Resource, runs) && actionsOf(s).some((a) => /^s3:(Get|Put)Object/.test(a))).flatMap((s) => JSON.stringify(s.Resource).match(/\/[a-z-]+\/\*/g) ?? []);
    expect(new Set(objectResources)).toEqual(new Set(['/runs/*', `/${MAP_RESULTS_PREFIX}/*`]));
    expect(statements.some((s) => mentions(s.Resource, runs) && actionsOf(s).some((a) => a.startsWith('s3:Delete')))).toBe(false);
    expect(statements.filter((s) => mentions(s.Resource, runs) && actionsOf(s).some((a) => a.startsWith('s3:PutObject'))).every((s) => JSON.stringify(s.Resource).includes(`/${MAP_RESULTS_PREFIX}/*`))).toBe(true);
  });

  it('logs and traces', () => {
    dev.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
  });
});

describe('the functions', () => {
  it('run Node.js 22 on arm64 with the memory and timeout chosen for each, traced, with logs kept', () => {
    const byHandler = functionIdByHandler(dev);
    expect(Object.keys(byHandler).sort()).toEqual(Object.keys(ALL_SETTINGS).sort());
    const fns = resourcesOf(dev, 'AWS::Lambda::Function');
    for (const [name, id] of Object.entries(byHandler)) {
      const p = fns[id]!.Properties;
      const settings = ALL_SETTINGS[name]!;
      expect({ name, runtime: p.Runtime, arch: p.Architectures, memory: p.MemorySize, timeout: p.Timeout, tracing: p.TracingConfig }).toEqual({
        name,
        runtime: 'nodejs22.x',
        arch: ['arm64'],
        memory: settings.memoryMb,
        timeout: settings.timeoutSeconds,
        tracing: { Mode: 'Active' },
      });
    }
    dev.resourceCountIs('Custom::LogRetention', Object.keys(byHandler).length);
    dev.hasResourceProperties('Custom::LogRetention', { RetentionInDays: 30 });
    prod.hasResourceProperties('Custom::LogRetention', { RetentionInDays: 365 });
  });

  it('are bundled so that each handler loads with no node_modules around it', async () => {
    const artifacts = join(root, '.sst', 'artifacts');
    const bundles = readdirSync(artifacts, { recursive: true, encoding: 'utf8' }).filter((f) => /^[^/]+\/functions\/[a-z-]+\.mjs$/.test(f));
    const names = new Set(bundles.map((f) => f.replace(/^.*\/|\.mjs$/g, '')));
    expect([...names].sort()).toEqual(Object.keys(ALL_SETTINGS).sort());
    const away = mkdtempSync(join(tmpdir(), 'onceload-bundle-'));
    try {
      for (const name of names) {
        const bundle = bundles.find((f) => f.endsWith(`/functions/${name}.mjs`))!;
        cpSync(join(artifacts, bundle), join(away, `${name}.mjs`));
        const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(away, `${name}.mjs`))}); console.log(typeof m.handler)`], { cwd: away });
        expect(`${name}: ${stdout.trim()}`).toBe(`${name}: function`);
      }
    } finally {
      rmSync(away, { recursive: true, force: true });
    }
  });

  it('run as bundled: Discover and Plan answer from the bundles against DynamoDB and S3, idempotency records included', async () => {
    const artifacts = join(root, '.sst', 'artifacts');
    const bundle = (name: string) => join(artifacts, readdirSync(artifacts, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith(`/functions/${name}.mjs`))!);
    const dataDir = mkdtempSync(join(tmpdir(), 'onceload-bundled-'));
    // A stand-in ClickHouse server that answers every query with no rows: the first Plan round asks
    // for the table's columns (drift) and whether the tenant has rows, and a bundle must reach it.
    const queries: string[] = [];
    const clickhouse = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        queries.push(Buffer.concat(chunks).toString() || (new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? ''));
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('');
      });
    });
    await new Promise<void>((resolve) => clickhouse.listen(0, '127.0.0.1', resolve));
    const runtime = await LocalRuntime.open({ dataDir, env: { ONCELOAD_CLICKHOUSE_URL: `http://127.0.0.1:${(clickhouse.address() as AddressInfo).port}` } });
    try {
      const deps = await runtime.deps();
      await deps.tenants.put({ tenantId: 'bundled', service: 'test', enabled: true, tables: ['companies'] });
      mkdirSync(join(runtime.landingDir, 'bundled', 'canonical', 'companies'), { recursive: true });
      writeFileSync(join(runtime.landingDir, 'bundled', 'canonical', 'companies', 'a.jsonl'), '{"id":1,"last_updated":"2026-01-01T00:00:00Z"}\n');
      await runtime.syncLanding();
      const discover = (await import(bundle('discover'))) as { handler: (e: unknown, c: unknown) => Promise<{ items: number; manifest: { Key: string } }> };
      const discovery = await discover.handler({ runId: 'bundled-run', input: {}, now: new Date().toISOString() }, lambdaContext('onceload-discover', 60));
      expect(discovery.items).toBe(1);
      expect(await deps.runs.get(discovery.manifest.Key)).toBe('{"tenant":"bundled","table":"companies","marked":true,"startPoint":null}\n');
      const plan = (await import(bundle('plan'))) as { handler: (e: unknown, c: unknown) => Promise<{ batches: { key: string }[][] }> };
      const planned = await plan.handler(
        { runId: 'bundled-run', dryRun: false, tenant: 'bundled', table: 'companies', previous: { nextRound: 0 } },
        lambdaContext('onceload-plan', 300),
      );
      expect(planned.batches.flat().map((f) => f.key)).toEqual(['bundled/canonical/companies/a.jsonl']);
      const records = await deps.aws.dynamodb.send(new ScanCommand({ TableName: deps.config.idempotencyTable, Select: 'COUNT' }));
      expect(records.Count).toBe(2);
      expect(queries.some((q) => q.includes('system.columns'))).toBe(true);
    } finally {
      await runtime.close();
      clickhouse.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('load in-engine by default, and streamed through the Load where the stage says so; the Map runs as many items at once as the stage says', () => {
    const variable = (template: Template, name: string) => {
      const fns = resourcesOf(template, 'AWS::Lambda::Function');
      return new Set(Object.values(functionIdByHandler(template)).map((id) => (fns[id]!.Properties.Environment.Variables as Record<string, unknown>)[name]));
    };
    expect(variable(dev, 'ONCELOAD_LOAD_PATH')).toEqual(new Set(['in-engine']));
    expect(variable(prod, 'ONCELOAD_LOAD_PATH')).toEqual(new Set(['streamed']));
    expect(variable(dev, 'ONCELOAD_MAP_CONCURRENCY')).toEqual(new Set(['8']));
    expect(variable(prod, 'ONCELOAD_MAP_CONCURRENCY')).toEqual(new Set(['40']));
  });

  it('carry the tables configured where the stage was deployed from, checked, as a file beside each bundle, however many', () => {
    const artifacts = join(root, '.sst', 'artifacts');
    const bundled = readdirSync(artifacts, { recursive: true, encoding: 'utf8' }).filter((f) => /^[^/]+\/functions\/[a-z-]+\.mjs$/.test(f));
    /** Each function's tables as it reads them on Lambda: the file its environment names, from its bundle's root (/var/task). */
    const tablesOf = (template: Template) => {
      const fns = resourcesOf(template, 'AWS::Lambda::Function');
      return Object.entries(functionIdByHandler(template)).map(([name, id]) => {
        const env = fns[id]!.Properties.Environment.Variables as Record<string, string>;
        expect(env, name).not.toHaveProperty('ONCELOAD_TABLES');
        expect(env.ONCELOAD_TABLES_FILE, name).toBe('onceload.tables.json');
        // Every bundle of this function (one a stage) carries a file; the stage's is among them.
        const read = bundled.filter((f) => f.endsWith(`/functions/${name}.mjs`)).map((f) => loadTables({ ONCELOAD_TABLES_FILE: env.ONCELOAD_TABLES_FILE }, join(artifacts, f.split('/')[0]!)).toJSON());
        return { name, read };
      });
    };
    for (const { name, read } of tablesOf(dev)) expect(read, name).toContainEqual(CANONICAL_TABLES.toJSON());
    const wide = loadTables({ ONCELOAD_TABLES_FILE: WIDE_TABLES });
    expect(wide.names).toEqual([...CANONICAL_TABLES.names, 'invoices', ...Array.from({ length: WIDE_COUNT }, (_, n) => `wide_${String(n).padStart(2, '0')}`)]);
    expect(Buffer.byteLength(JSON.stringify(wide))).toBeGreaterThan(4096);
    for (const { name, read } of tablesOf(prod)) expect(read, name).toContainEqual(wide.toJSON());
    expect(wide.get('invoices').columns.find((c) => c.name === 'amount')?.type).toBe('Decimal(12, 2)');
  });

  it('are not deployed from a table configuration that does not check: synth stops, naming the file, the table and the field', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'onceload-tables-')), 'bad.json');
    writeFileSync(bad, JSON.stringify({ tables: { invoices: { columns: [{ name: 'id', type: 'Strng' }] } } }));
    await expect(synth('badtables', { ONCELOAD_TABLES_FILE: bad })).rejects.toThrow(`${bad}: tables.invoices.columns[0].type: "Strng" is not a supported type`);
  });

  it('read the ClickHouse connection from the secret named in their environment, never from plain variables', () => {
    const fns = resourcesOf(dev, 'AWS::Lambda::Function');
    const byHandler = functionIdByHandler(dev);
    // The steps that query ClickHouse (Plan and Load also write the load log); the others hold no connection (see least privilege).
    for (const id of ['ensure-schema', 'plan', 'load', 'validate'].map((fn) => byHandler[fn]!)) {
      const env = fns[id]!.Properties.Environment.Variables as Record<string, unknown>;
      expect(env.ONCELOAD_CLICKHOUSE_SECRET).toBe('onceload/dev/clickhouse');
      for (const plain of ['ONCELOAD_CLICKHOUSE_URL', 'ONCELOAD_CLICKHOUSE_PASSWORD', 'ONCELOAD_CLICKHOUSE_USER', 'ONCELOAD_CHDB_PATH']) expect(env).not.toHaveProperty(plain);
      const reads = statementsOf(dev, id).filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
      expect(reads.length, id).toBeGreaterThan(0);
      for (const s of reads) expect(JSON.stringify(s.Resource)).toContain(':secret:onceload/dev/clickhouse-??????');
    }
    // The value is set outside the stack: no secret resource, no secret string in the template.
    dev.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(JSON.stringify(dev.toJSON())).not.toMatch(/SecretString|password/i);
  });
});

describe('permissions', () => {
  it('never grant a data-plane action on every resource', () => {
    for (const [id, policy] of Object.entries(resourcesOf(dev, 'AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        const guarded = actionsOf(statement).filter((a) => /^(dynamodb|s3|lambda|secretsmanager|states):/.test(a));
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        if (guarded.length) expect(resources, `${id}: ${guarded.join(', ')}`).not.toContain('*');
      }
    }
  });

  it('give each function only the tables and bucket its step uses', () => {
    const byHandler = functionIdByHandler(dev);
    const tableId = (name: string) => Object.keys(resourcesOf(dev, 'AWS::DynamoDB::Table')).find((id) => id.startsWith(name))!;
    const bucketId = Object.keys(resourcesOf(dev, 'AWS::S3::Bucket')).find((id) => id.startsWith('Landing'))!;
    const runsId = Object.keys(resourcesOf(dev, 'AWS::S3::Bucket')).find((id) => id.startsWith('Runs'))!;
    const touches = (fn: string, resource: string, actionPattern: RegExp) =>
      statementsOf(dev, byHandler[fn]!).some((s) => mentions(s.Resource, resource) && actionsOf(s).some((a) => actionPattern.test(a)));
    const writes = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/;
    const reads = /^dynamodb:(GetItem|Query|Scan|BatchGetItem)$/;
    const ledger = tableId('FileLedger');
    const tenants = tableId('TenantServices');
    expect(touches('load', ledger, writes)).toBe(true);
    expect(touches('plan', ledger, reads)).toBe(true);
    expect(touches('plan', ledger, writes)).toBe(true);
    expect(touches('validate', ledger, writes)).toBe(false);
    expect(touches('discover', ledger, writes)).toBe(true);
    expect(touches('discover', tenants, reads)).toBe(true);
    expect(touches('discover', tenants, writes)).toBe(false);
    expect(touches('load', tenants, reads)).toBe(false);
    expect(touches('load', bucketId, /^s3:GetObject/)).toBe(true);
    expect(touches('plan', bucketId, /^s3:List/)).toBe(true);
    expect(touches('discover', bucketId, /^s3:List/)).toBe(true);
    expect(touches('ensure-schema', bucketId, /^s3:/)).toBe(false);
    for (const fn of Object.keys(byHandler)) expect(touches(fn, bucketId, /^s3:(Put|Delete)/), fn).toBe(false);
    // The runs bucket: Discover writes the manifest, Validate reads the Map's results and writes the report.
    expect(touches('discover', runsId, /^s3:PutObject/)).toBe(true);
    expect(touches('validate', runsId, /^s3:GetObject/)).toBe(true);
    expect(touches('validate', runsId, /^s3:PutObject/)).toBe(true);
    // Plan writes a dry run's would-load lists there, and reads nothing of it.
    expect(touches('plan', runsId, /^s3:PutObject/)).toBe(true);
    expect(touches('plan', runsId, /^s3:GetObject/)).toBe(false);
    for (const fn of ['load', 'ensure-schema']) expect(touches(fn, runsId, /^s3:/), fn).toBe(false);
    // Discover lists the state machine's running executions (a tick behind an earlier run skips itself), and only Discover.
    const listsExecutions = (fn: string) => statementsOf(dev, byHandler[fn]!).some((s) => actionsOf(s).includes('states:ListExecutions') && JSON.stringify(s.Resource).includes(`:stateMachine:${stateMachineName('dev')}`));
    expect(listsExecutions('discover')).toBe(true);
    for (const fn of ['plan', 'load', 'validate', 'ensure-schema']) expect(listsExecutions(fn), fn).toBe(false);
    for (const fn of Object.keys(byHandler)) expect(touches(fn, runsId, /^s3:Delete/), fn).toBe(false);
    for (const fn of Object.keys(byHandler)) expect(touches(fn, tableId('Idempotency'), writes), fn).toBe(true);
  });
});

describe('storage', () => {
  it('expires ledger and idempotency records with TTL, keeps point-in-time recovery where state lives, bills on demand', () => {
    const tables = resourcesOf(dev, 'AWS::DynamoDB::Table');
    const byId = (prefix: string) => Object.entries(tables).find(([id]) => id.startsWith(prefix))![1].Properties;
    expect(byId('FileLedger').TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(byId('Idempotency').TimeToLiveSpecification).toEqual({ AttributeName: 'expiration', Enabled: true });
    expect(byId('TenantServices').PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    // Named per stage, so `onceload tenants --stage` finds it.
    expect(byId('TenantServices').TableName).toBe(tenantsTableName('dev'));
    expect(byId('FileLedger').TableName).toBe(ledgerTableName('dev'));
    expect(byId('FileLedger').PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(byId('FileLedger').KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    for (const t of Object.values(tables)) expect(t.Properties.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('creates a private landing bucket, or imports one by name; prod keeps its data when the stage is removed', () => {
    dev.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    // prod imports its landing bucket; the runs bucket is the stage's own, and expires runs after 90 days.
    prod.resourceCountIs('AWS::S3::Bucket', 1);
    const [runs] = Object.values(resourcesOf(prod, 'AWS::S3::Bucket'));
    expect(runs!.DeletionPolicy).toBe('Retain');
    expect(runs!.Properties.LifecycleConfiguration.Rules).toContainEqual(expect.objectContaining({ ExpirationInDays: 90, Status: 'Enabled' }));
    expect(JSON.stringify(prod.toJSON())).toContain('arn:', );
    expect(JSON.stringify(prod.toJSON())).toContain(':s3:::acme-landing');
    for (const t of Object.values(resourcesOf(prod, 'AWS::DynamoDB::Table')).filter((t) => t.Properties.PointInTimeRecoverySpecification)) {
      expect(t.DeletionPolicy).toBe('Retain');
    }
    for (const t of Object.values(resourcesOf(dev, 'AWS::DynamoDB::Table'))) expect(t.DeletionPolicy).toBe('Delete');
  });
});

describe('least privilege', () => {
  it('Validate writes only the last-success attribute of tenants; Load has no Scan, DeleteItem or BatchWriteItem on the ledger; Plan reads no object; Discover and the arrival marker hold no ClickHouse secret', () => {
    const byHandler = functionIdByHandler(dev);
    const tenants = Object.keys(resourcesOf(dev, 'AWS::DynamoDB::Table')).find((id) => id.startsWith('TenantServices'))!;
    const ledger = Object.keys(resourcesOf(dev, 'AWS::DynamoDB::Table')).find((id) => id.startsWith('FileLedger'))!;
    const landing = Object.keys(resourcesOf(dev, 'AWS::S3::Bucket')).find((id) => id.startsWith('Landing'))!;
    const on = (fn: string, resource: string) => statementsOf(dev, byHandler[fn]!).filter((s) => mentions(s.Resource, resource));
    const validateOnTenants = on('validate', tenants);
    expect(validateOnTenants.flatMap(actionsOf)).toEqual(['dynamodb:UpdateItem']);
    expect((validateOnTenants[0] as { Condition?: unknown }).Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['tenant_id', 'last_success_at'] },
      StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_NEW'] },
    });
    const loadOnLedger = on('load', ledger).flatMap(actionsOf);
    expect(loadOnLedger).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    for (const action of ['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) expect(loadOnLedger).not.toContain(action);
    expect(on('plan', landing).flatMap(actionsOf)).toEqual(['s3:ListBucket']);
    const fns = resourcesOf(dev, 'AWS::Lambda::Function');
    const secretOf = (fn: string) => (fns[byHandler[fn]!]!.Properties.Environment.Variables as Record<string, unknown>).ONCELOAD_CLICKHOUSE_SECRET;
    const readsSecret = (fn: string) => statementsOf(dev, byHandler[fn]!).some((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    for (const fn of ['discover', 'mark-arrival']) {
      expect(secretOf(fn), fn).toBeUndefined();
      expect(readsSecret(fn), fn).toBe(false);
      expect((fns[byHandler[fn]!]!.Properties.Environment.Variables as Record<string, unknown>).ONCELOAD_CLICKHOUSE).toBe('none');
    }
    for (const fn of ['ensure-schema', 'plan', 'load', 'validate']) expect(readsSecret(fn), fn).toBe(true);
  });
});

describe('arrival marks', () => {
  it("send the landing bucket's object events to the marking function, which alone writes the marks besides Discover and Plan", () => {
    dev.hasResourceProperties('Custom::S3BucketNotifications', { NotificationConfiguration: Match.objectLike({ EventBridgeConfiguration: {} }) });
    const rule = Object.values(resourcesOf(dev, 'AWS::Events::Rule')).find((r) => r.Properties.EventPattern)!;
    const landing = Object.keys(resourcesOf(dev, 'AWS::S3::Bucket')).find((id) => id.startsWith('Landing'))!;
    expect(rule.Properties.EventPattern).toMatchObject({ source: ['aws.s3'], 'detail-type': ['Object Created', 'Object Deleted'] });
    expect(JSON.stringify(rule.Properties.EventPattern.detail.bucket.name)).toContain(landing);
    const byHandler = functionIdByHandler(dev);
    expect(JSON.stringify(rule.Properties.Targets[0].Arn)).toContain(byHandler['mark-arrival']);
    const arrivals = Object.keys(resourcesOf(dev, 'AWS::DynamoDB::Table')).find((id) => id.startsWith('Arrivals'))!;
    expect(resourcesOf(dev, 'AWS::DynamoDB::Table')[arrivals]!.Properties.TableName).toBe(arrivalsTableName('dev'));
    const writes = (fn: string) => statementsOf(dev, byHandler[fn]!).some((s) => mentions(s.Resource, arrivals) && actionsOf(s).some((a) => /^dynamodb:(PutItem|UpdateItem|DeleteItem)$/.test(a)));
    for (const fn of ['mark-arrival', 'discover', 'plan']) expect(writes(fn), fn).toBe(true);
    for (const fn of ['load', 'validate', 'ensure-schema']) expect(writes(fn), fn).toBe(false);
    expect(statementsOf(dev, byHandler['mark-arrival']!).some((s) => actionsOf(s).some((a) => a.startsWith('s3:')))).toBe(false);
  });
});

describe('the schedule', () => {
  it('starts the state machine with { "due": true } on the default rate', () => {
    const rule = scheduleRule(dev);
    const [machineId] = Object.keys(resourcesOf(dev, 'AWS::StepFunctions::StateMachine'));
    expect(rule!.Properties.ScheduleExpression).toBe(DEFAULT_SCHEDULE);
    expect(rule!.Properties.State).toBe('ENABLED');
    expect(rule!.Properties.Targets).toHaveLength(1);
    expect(rule!.Properties.Targets[0].Arn).toEqual({ Ref: machineId });
    expect(JSON.parse(rule!.Properties.Targets[0].Input)).toEqual({ due: true });
  });

  it('takes its expression from the stage and can be switched off', () => {
    const rule = scheduleRule(prod);
    expect(rule!.Properties.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(rule!.Properties.State).toBe('DISABLED');
  });
});

describe('monitoring', () => {
  it('alarms on failed executions and failed validations, and draws the per-table metrics', () => {
    dev.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    dev.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ItemFailures', Namespace: 'onceload', Threshold: 1 });
    dev.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SkippedTicks', Namespace: 'onceload', Threshold: 1 });
    dev.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 1 });
    dev.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ValidationFailures', Namespace: 'onceload', Threshold: 1 });
    dev.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'failed + timedOut + aborted' })]),
    });
    const [dashboard] = Object.values(resourcesOf(dev, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const metric of ['FilesLoaded', 'FilesSkipped', 'RowsInserted', 'FileFailures']) expect(body).toContain(metric);
  });
});
