/**
 * `verify`, `tables migrate` and `log` on a deployed stage: the bucket CloudFormation named and the
 * stage's secret are found, the secret names the ClickHouse server (here a stand-in that answers
 * like one), and AWS failures are said for a person.
 */
import { ListBucketsCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { useStageCli } from './remote-harness.js';

const REGION = 'eu-west-1';
const s3 = mockClient(S3Client);
const secrets = mockClient(SecretsManagerClient);
const documents = mockClient(DynamoDBDocumentClient);

interface ClickHouseRequest {
  query: string;
  params: URLSearchParams;
  auth: string | undefined;
}

/** Answers each query with JSON lines from `answer`; keeps what it was asked. */
let answer: (query: string) => object[] = () => [];
const requests: ClickHouseRequest[] = [];
let server: Server;
let serverUrl: string;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query = Buffer.concat(chunks).toString() || (url.searchParams.get('query') ?? '');
      requests.push({ query, params: url.searchParams, auth: req.headers.authorization });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(answer(query).map((row) => `${JSON.stringify(row)}\n`).join(''));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const run = useStageCli([s3, secrets, documents]);
beforeEach(() => {
  requests.length = 0;
  answer = () => [];
});

/** A deployed stage: its landing bucket, named by CloudFormation, and its secret (read once a process a name). */
function deployed(stage: string, secret: object) {
  const secretName = `onceload/${stage}/clickhouse`;
  const bucket = `${stage}-onceload-pipeline-landing-1a2b3c4d5e6f`;
  s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: bucket }] });
  secrets.on(GetSecretValueCommand, { SecretId: secretName }).resolves({ SecretString: JSON.stringify(secret) });
  return { secretName, bucket };
}

const secretError = (name: string) => new SecretsManagerServiceException({ name, message: `${name} says no`, $fault: 'client', $metadata: { httpStatusCode: 400 } });
const s3Error = (name: string) => new S3ServiceException({ name, message: `${name} says no`, $fault: 'client', $metadata: { httpStatusCode: 403 } });

describe('verify on a deployed stage', () => {
  it("counts a loaded file from the stage's bucket on the secret's server, and names the file the table holds twice", async () => {
    const { bucket } = deployed('prod', { url: serverUrl, username: 'loader', password: 'pw', database: 'analytics' });
    const key = 'acme/canonical/companies/2026/11/24.jsonl';
    documents.on(ScanCommand, { TableName: 'onceload-prod-tenants' }).resolves({ Items: [{ tenant_id: 'acme', service: 'halo', enabled: true }] });
    documents.on(QueryCommand, { TableName: 'onceload-prod-file-ledger' }).resolves({ Items: [] });
    documents
      .on(QueryCommand, { TableName: 'onceload-prod-file-ledger', ExpressionAttributeValues: { ':pk': 'acme#companies' } })
      .resolves({ Items: [{ pk: 'acme#companies', sk: key, tenant: 'acme', tbl: 'companies', etag: 'e1', size: 10, status: 'loaded', generation: 0, runId: 'r1', rows: 250 }] });
    answer = (query) => {
      if (query.includes('system.tables')) return [{ name: 'companies', engine: 'ReplacingMergeTree', engine_full: '', sorting_key: 'tenant_id, id' }];
      if (query.includes('AS odd')) return [{ i: '1', rows: '250', odd: '0' }];
      if (query.includes('_file AS file')) return [{ file: key, etag: 'e1', rows: '500' }];
      return [];
    };

    const { code, out } = await run('verify', '--stage', 'prod', '--region', REGION, '--table', 'companies');
    expect(code).toBe(1);
    expect(out).toContain(`doubled rows (1):\n  - acme/companies ${key}: 500 rows in the table, 250 in the file`);
    expect(s3.commandCalls(ListBucketsCommand)[0]!.args[0].input).toEqual({ Prefix: 'prod-onceload-pipeline-landing', BucketRegion: REGION });
    expect(await secrets.commandCalls(GetSecretValueCommand)[0]!.thisValue.config.region()).toBe(REGION);
    // The source is read through a URL of the stage's bucket, presigned in its region with the caller's credentials.
    const count = requests.find((r) => r.query.includes('AS odd'))!;
    const presigned = new URL(count.params.get('param_url0')!);
    expect(presigned.host).toBe(`${bucket}.s3.${REGION}.amazonaws.com`);
    expect(presigned.pathname).toBe(`/${key}`);
    expect(presigned.searchParams.get('X-Amz-Credential')).toMatch(new RegExp(`^AKIDTEST/\\d{8}/${REGION}/s3/aws4_request$`));
    expect(count.params.get('database')).toBe('analytics');
    expect(count.auth).toBe(`Basic ${Buffer.from('loader:pw').toString('base64')}`);
  });
});

describe('tables migrate on a deployed stage', () => {
  it("creates the configured tables and the load log on the server the stage's secret names", async () => {
    deployed('qa', { url: serverUrl, database: 'analytics' });
    const { code, out, err } = await run('tables', 'migrate', '--stage', 'qa', '--region', REGION);
    expect(code).toBe(0);
    expect(err).toContain('migrating the ClickHouse server of the secret onceload/qa/clickhouse to');
    expect(out.split('\n')).toEqual(['created table companies', 'created table contacts', 'created table tickets', 'created table time_entries', 'created table onceload_load_log']);
    const creates = requests.filter((r) => r.query.startsWith('CREATE TABLE'));
    expect(creates).toHaveLength(5);
    expect(creates[0]!.query).toContain('`analytics`.`companies`');
    // The load log too, in the secret's database: Plan and Load write to it before any run has created it.
    expect(creates[4]!.query).toContain('`analytics`.`onceload_load_log`');
    expect(creates[4]!.query).toContain('ReplacingMergeTree(`finished_at`)');
  });
});

describe('AWS failures on the way to a stage', () => {
  it('names the missing secret and the command that creates it', async () => {
    deployed('nosecret', { url: serverUrl });
    secrets.on(GetSecretValueCommand).rejects(secretError('ResourceNotFoundException'));
    const { code, err } = await run('tables', 'migrate', '--stage', 'nosecret', '--region', REGION);
    expect(code).toBe(2);
    expect(err).toContain(
      `onceload: secret onceload/nosecret/clickhouse does not exist in ${REGION}: the stage's functions read their ClickHouse from it; create it with \`aws secretsmanager create-secret --region ${REGION} --name onceload/nosecret/clickhouse --secret-string`,
    );
    expect(requests).toHaveLength(0);
  });

  it('names secretsmanager:GetSecretValue when the secret may not be read', async () => {
    deployed('denied', { url: serverUrl });
    secrets.on(GetSecretValueCommand).rejects(secretError('AccessDeniedException'));
    const { code, err } = await run('verify', '--stage', 'denied', '--region', REGION);
    expect(code).toBe(1);
    expect(err).toContain('access denied to secretsmanager:GetSecretValue on onceload/denied/clickhouse: the AWS identity in use lacks the IAM permission secretsmanager:GetSecretValue');
  });

  it('names the field of a secret whose value is wrong, as a bad setting', async () => {
    deployed('badsecret', { url: serverUrl, pasword: 'typo' });
    const { code, err } = await run('tables', 'migrate', '--stage', 'badsecret', '--region', REGION);
    expect(code).toBe(2);
    expect(err).toContain('secret onceload/badsecret/clickhouse: field pasword: unknown field');
    expect(err).not.toContain('typo');
  });

  it('says the stage is not deployed when it has no landing bucket, and names s3:ListAllMyBuckets when buckets may not be listed', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [] });
    const missing = await run('verify', '--stage', 'dev', '--region', REGION);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`no landing bucket dev-onceload-pipeline-landing... in ${REGION}: is stage dev deployed there (npx sst deploy --stage dev)?`);
    expect(missing.err).toContain("too long for CloudFormation to keep whole in the bucket's: set ONCELOAD_LANDING_BUCKET_NAME");

    s3.on(ListBucketsCommand).rejects(s3Error('AccessDenied'));
    const denied = await run('tables', 'migrate', '--stage', 'dev', '--region', REGION);
    expect(denied.code).toBe(1);
    expect(denied.err).toContain('access denied to s3:ListAllMyBuckets: the AWS identity in use lacks the IAM permission s3:ListAllMyBuckets');
    expect(denied.err).toContain("or set ONCELOAD_LANDING_BUCKET_NAME to the stage's LandingBucket output");
  });

  it('asks which bucket when a removed deployment left one with the same prefix, and takes the one ONCELOAD_LANDING_BUCKET_NAME names', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'kept-onceload-pipeline-landing-aaaa' }, { Name: 'kept-onceload-pipeline-landing-bbbb' }] });
    const two = await run('tables', 'migrate', '--stage', 'kept', '--region', REGION);
    expect(two.code).toBe(2);
    expect(two.err).toContain(`2 buckets in ${REGION} could be stage kept's landing bucket (kept-onceload-pipeline-landing-aaaa, kept-onceload-pipeline-landing-bbbb)`);

    s3.reset();
    vi.stubEnv('ONCELOAD_LANDING_BUCKET_NAME', 'kept-landing');
    vi.stubEnv('ONCELOAD_CLICKHOUSE_SECRET_NAME', 'ops/kept/clickhouse');
    secrets.on(GetSecretValueCommand, { SecretId: 'ops/kept/clickhouse' }).resolves({ SecretString: JSON.stringify({ url: serverUrl }) });
    const named = await run('tables', 'migrate', '--stage', 'kept', '--region', REGION);
    expect(named.code).toBe(0);
    expect(named.err).toContain('the secret ops/kept/clickhouse');
    expect(s3.calls()).toHaveLength(0);
  });

  it("names the secret when the server it names does not answer", async () => {
    deployed('down', { url: 'http://127.0.0.1:1', password: 'hunter2' });
    documents.on(ScanCommand).resolves({ Items: [] });
    const { code, err } = await run('verify', '--stage', 'down', '--region', REGION);
    expect(code).toBe(1);
    expect(err).toBe("onceload: cannot reach the ClickHouse server of the secret onceload/down/clickhouse: ECONNREFUSED; check the secret's url and that this machine reaches that server\n");
  });

  it('refuses a malformed stage before any call', async () => {
    const { code, err } = await run('verify', '--stage', 'Prod!');
    expect(code).toBe(2);
    expect(err).toContain('"Prod!" is not a stage name');
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('the commands', () => {
  it('take --stage and --region', async () => {
    for (const command of [['verify'], ['tables', 'migrate']]) {
      const help: string[] = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (help.push(String(chunk)), true));
      expect((await run(...command, '--help')).code).toBe(0);
      expect(help.join('')).toMatch(/--stage <stage>[\s\S]*--region <region>/);
    }
  });
});

describe('log on a deployed stage', () => {
  it("reads the load log of the secret's database FINAL, with the filters as bound values", async () => {
    deployed('prod', { url: serverUrl, username: 'loader', password: 'pw', database: 'analytics' });
    const row = {
      run_id: 'r1', tenant_id: 'acme', table_name: 'companies', file_key: 'acme/canonical/companies/a.jsonl', etag: 'e1', generation: 0, outcome: 'failed',
      rows: '0', bytes: '10', started_at: '2026-12-01 08:00:00.000', finished_at: '2026-12-01 08:00:02.250', attempt: 'a1',
      error_code: 'WRONG_TYPE', error_message: 'row 2, column id: not a number', error_row: '2', error_column: 'id',
    };
    answer = (query) => (query.includes('system.tables') ? [{ name: 'onceload_load_log', engine: 'ReplacingMergeTree', engine_full: '', sorting_key: '' }] : query.includes('onceload_load_log') ? [row] : []);
    const { code, out } = await run('log', '--stage', 'prod', '--region', REGION, '--tenant', 'acme', '--outcome', 'failed', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([
      expect.objectContaining({ tenant: 'acme', outcome: 'failed', errorCode: 'WRONG_TYPE', errorRow: 2, errorColumn: 'id', startedAt: '2026-12-01T08:00:00.000Z', finishedAt: '2026-12-01T08:00:02.250Z' }),
    ]);
    const read = requests.find((r) => r.query.includes('FROM `analytics`.`onceload_load_log` FINAL'))!;
    expect(read.query).toContain('tenant_id = {tenant:String} AND outcome = {outcome:String}');
    expect([read.params.get('param_tenant'), read.params.get('param_outcome'), read.params.get('param_limit')]).toEqual(['acme', 'failed', '100']);
  });
});
