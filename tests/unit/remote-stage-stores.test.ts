import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { useStageCli } from './remote-harness.js';

const documents = mockClient(DynamoDBDocumentClient);
const run = useStageCli([documents]);

const dynamoError = (name: string) => new DynamoDBServiceException({ name, message: `${name} says no`, $fault: 'client', $metadata: { httpStatusCode: 400 } });

describe('tenants and files of a deployed stage', () => {
  it("adds a tenant to the stage's TenantServices table, schedule included", async () => {
    // add reads the table first: an existing tenant is refused.
    documents.on(ScanCommand).resolves({ Items: [] });
    documents.on(UpdateCommand).resolves({});
    const { code, out } = await run('tenants', 'add', 'acme', '--stage', 'prod', '--region', 'eu-west-1', '--every', '1h', '--tables', 'companies,tickets');
    expect(code).toBe(0);
    expect(out).toBe('tenant acme added, due every 1h');
    const [call] = documents.commandCalls(UpdateCommand);
    expect(call!.args[0].input).toMatchObject({
      TableName: 'onceload-prod-tenants',
      Key: { tenant_id: 'acme' },
      ExpressionAttributeValues: { ':service': 'default', ':enabled': true, ':tables': ['companies', 'tickets'], ':every_seconds': 3600 },
    });
    expect(await documents.commandCalls(UpdateCommand)[0]!.thisValue.config.region()).toBe('eu-west-1');
  });

  it("writes a start point to the stage's table, and removes one with --no-since", async () => {
    documents.on(ScanCommand).resolves({ Items: [] });
    documents.on(UpdateCommand).resolves({});
    const added = await run('tenants', 'add', 'acme', '--stage', 'prod', '--region', 'eu-west-1', '--since', '2026-01-01', '--start-after', '2025/12/31/');
    expect(added.out).toBe('tenant acme added, start point since 2026-01-01T00:00:00.000Z, after key 2025/12/31/');
    expect(documents.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      TableName: 'onceload-prod-tenants',
      ExpressionAttributeValues: { ':since': '2026-01-01T00:00:00.000Z', ':start_after': '2025/12/31/' },
    });
    documents.on(ScanCommand).resolves({ Items: [{ tenant_id: 'acme', service: 'default', enabled: true, since: '2026-01-01T00:00:00.000Z', start_after: '2025/12/31/' }] });
    expect((await run('tenants', 'update', 'acme', '--stage', 'prod', '--region', 'eu-west-1', '--no-since')).code).toBe(0);
    const update = documents.commandCalls(UpdateCommand).map((c) => c.args[0].input).filter((i) => i.TableName === 'onceload-prod-tenants')[1]!;
    expect(update.UpdateExpression).toMatch(/REMOVE .*#since/);
    expect(update.ExpressionAttributeValues).toMatchObject({ ':start_after': '2025/12/31/' });
  });

  it('lists them', async () => {
    documents.on(ScanCommand, { TableName: 'onceload-prod-tenants' }).resolves({
      Items: [{ tenant_id: 'acme', service: 'halo', enabled: true, every_seconds: 3600, last_success_at: '2026-11-24T10:00:00.000Z', since: '2026-01-01T00:00:00.000Z' }],
    });
    const { code, out } = await run('tenants', 'list', '--stage', 'prod', '--region', 'eu-west-1');
    expect(code).toBe(0);
    expect(out.split('\n')[1]).toBe('acme\thalo\ttrue\tcompanies,contacts,tickets,time_entries\t1h\t2026-11-24T10:00:00.000Z\tsince 2026-01-01T00:00:00.000Z');
  });

  it('says the stage is not deployed when its table does not exist, and names a missing permission', async () => {
    documents.on(ScanCommand).rejects(dynamoError('ResourceNotFoundException'));
    const missing = await run('tenants', 'list', '--stage', 'nope', '--region', 'eu-west-1');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('table onceload-nope-tenants or onceload-nope-file-ledger does not exist in eu-west-1: is stage nope deployed there (npx sst deploy --stage nope)?');

    documents.on(ScanCommand).resolves({ Items: [] });
    documents.on(UpdateCommand).rejects(dynamoError('AccessDeniedException'));
    const denied = await run('tenants', 'add', 'acme', '--stage', 'prod', '--region', 'eu-west-1');
    expect(denied.code).toBe(1);
    expect(denied.err).toContain('access denied to dynamodb:UpdateItem on onceload-prod-tenants or onceload-prod-file-ledger');
  });

  it("lists a tenant's files from the stage's ledger, and resets a failed one", async () => {
    const failed = { pk: 'acme#companies', sk: 'acme/canonical/companies/a.jsonl', tenant: 'acme', tbl: 'companies', etag: 'e1', size: 10, status: 'failed', generation: 0, runId: 'r1', error: 'bad row' };
    documents.on(QueryCommand, { TableName: 'onceload-prod-file-ledger' }).resolves({ Items: [failed] });
    documents.on(ScanCommand, { TableName: 'onceload-prod-tenants' }).resolves({ Items: [{ tenant_id: 'acme', service: 'halo', enabled: true }] });
    documents.on(UpdateCommand).resolves({});
    const listed = await run('files', '--stage', 'prod', '--region', 'eu-west-1', '--tenant', 'acme', '--table', 'companies');
    expect(listed.code).toBe(0);
    expect(listed.out.split('\n')[1]).toBe('acme\tcompanies\tfailed\t\tacme/canonical/companies/a.jsonl\te1\tr1\tbad row');
    const reset = await run('files', 'reset', '--stage', 'prod', '--region', 'eu-west-1', '--tenant', 'acme', '--table', 'companies', '--status', 'failed');
    expect(reset.code).toBe(0);
    expect(reset.out).toBe('reset 1 file(s) of acme/companies; the next run loads them again');
    expect(documents.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({ TableName: 'onceload-prod-file-ledger', Key: { pk: 'acme#companies', sk: failed.sk } });
  });

  it('refuses a malformed stage before any call', async () => {
    const { code, err } = await run('tenants', 'list', '--stage', 'Prod!');
    expect(code).toBe(2);
    expect(err).toContain('"Prod!" is not a stage name');
    expect(documents.calls()).toHaveLength(0);
  });
});
