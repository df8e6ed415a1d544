/**
 * The file ledger on DynamoDB: one item per (tenant#table, S3 key). Every state change is a
 * conditional write, so two attempts can never both own a file (dynalite has no transactions,
 * and none are needed).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClaimOutcome, FileStatus, FileVersion, Ledger, LedgerEntry, LoadUnit, UnitMember } from '../../ports.js';
import type { CanonicalTable } from '../../tables.js';
import { FileBusyError } from '../../errors.js';
import { awsCall } from './classify.js';
import { LEDGER_TTL_ATTRIBUTE } from '../../dynamo-schema.js';

const partitionKey = (tenant: string, table: string) => `${tenant}#${table}`;
/** Load units live beside the files, in a partition of their own that listing the files never reads. */
const unitPartitionKey = (tenant: string, table: string) => `${tenant}#${table}#unit`;

const NAMES = { '#status': 'status', '#error': 'error', '#rows': 'rows', '#size': 'size', '#ttl': LEDGER_TTL_ATTRIBUTE };

function toEntry(item: Record<string, unknown>): LedgerEntry {
  return {
    tenant: String(item.tenant),
    table: item.tbl as CanonicalTable,
    key: String(item.sk),
    etag: String(item.etag),
    size: Number(item.size ?? 0),
    status: item.status as FileStatus,
    generation: Number(item.generation ?? 0),
    runId: String(item.runId ?? ''),
    ...(item.rows !== undefined ? { rows: Number(item.rows) } : {}),
    ...(item.error !== undefined ? { error: String(item.error) } : {}),
    ...(item.unit !== undefined ? { unit: String(item.unit) } : {}),
    startedAt: String(item.startedAt ?? ''),
    updatedAt: String(item.updatedAt ?? ''),
  };
}

export interface DynamoLedgerOptions {
  tableName: string;
  ttlDays: number;
  now?: () => Date;
}

export class DynamoLedger implements Ledger {
  readonly #documents: DynamoDBDocumentClient;
  readonly #options: DynamoLedgerOptions;

  constructor(documents: DynamoDBDocumentClient, options: DynamoLedgerOptions) {
    this.#documents = documents;
    this.#options = options;
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  #expiresAt(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.#options.ttlDays * 86_400;
  }

  #key(file: { tenant: string; table: string; key: string }) {
    return { pk: partitionKey(file.tenant, file.table), sk: file.key };
  }

  async listItem(tenant: string, table: CanonicalTable): Promise<Map<string, LedgerEntry>> {
    const entries = new Map<string, LedgerEntry>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await awsCall(`reading the ledger of ${tenant}/${table}`, () =>
        this.#documents.send(
          new QueryCommand({
            TableName: this.#options.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': partitionKey(tenant, table) },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of page.Items ?? []) entries.set(String(item.sk), toEntry(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return entries;
  }

  async get(file: { tenant: string; table: CanonicalTable; key: string }): Promise<LedgerEntry | undefined> {
    const { Item } = await awsCall(`reading the ledger item of ${file.key}`, () =>
      this.#documents.send(new GetCommand({ TableName: this.#options.tableName, Key: this.#key(file), ConsistentRead: true })),
    );
    return Item ? toEntry(Item) : undefined;
  }

  /** Runs a conditional update; false when its condition did not hold. */
  async #conditional(what: string, input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>): Promise<boolean> {
    try {
      await awsCall(what, () => this.#documents.send(new UpdateCommand({ TableName: this.#options.tableName, ...input })));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async claim(file: FileVersion, runId: string, staleBefore: Date, unit?: string): Promise<ClaimOutcome> {
    const now = this.#now();
    // Claimable: never seen, a new version, or reset for this generation. A file loading alone may
    // also be taken from our own earlier attempt or a dead one (its redo reuses the file's token);
    // a file in a load unit is only ever finished through that unit (see takeOver).
    const alone = unit === undefined;
    const claimed = await this.#conditional(`claiming ${file.key}`, {
      Key: this.#key(file),
      UpdateExpression:
        'SET tenant = :tenant, tbl = :table, etag = :etag, #size = :size, generation = :gen, #status = :loading, ' +
        `runId = :run, startedAt = :now, updatedAt = :now, #ttl = :exp${alone ? '' : ', #unit = :unit'} REMOVE #error, #rows${alone ? ', #unit' : ''}`,
      ConditionExpression:
        'attribute_not_exists(pk) OR etag <> :etag OR (#status = :reset AND generation = :gen)' +
        (alone ? ' OR (#status = :loading AND attribute_not_exists(#unit) AND (runId = :run OR startedAt < :stale))' : ''),
      ExpressionAttributeNames: { ...NAMES, '#unit': 'unit' },
      ExpressionAttributeValues: {
        ':tenant': file.tenant,
        ':table': file.table,
        ':etag': file.etag,
        ':size': file.size,
        ':gen': file.generation,
        ':loading': 'loading',
        ':reset': 'reset',
        ':run': runId,
        ':now': now.toISOString(),
        ':exp': this.#expiresAt(now),
        ...(alone ? { ':stale': staleBefore.toISOString() } : { ':unit': unit }),
      },
    });
    if (claimed) return { outcome: 'claimed' };
    const entry = await this.get(file);
    if (entry && entry.etag === file.etag && (entry.status === 'loaded' || entry.status === 'failed')) {
      return { outcome: 'done', entry };
    }
    if (entry?.status === 'loading' && entry.etag === file.etag && entry.generation === file.generation) {
      const deadOrOwn = entry.runId === runId || entry.startedAt < staleBefore.toISOString();
      return { outcome: deadOrOwn ? 'held' : 'busy', entry };
    }
    if (entry) return { outcome: 'busy', entry };
    throw new FileBusyError('the ledger item changed while it was being claimed', { tenant: file.tenant, table: file.table, file: file.key });
  }

  async takeOver(file: FileVersion, from: string, to: string | undefined, runId: string, staleBefore: Date): Promise<boolean> {
    const now = this.#now().toISOString();
    return this.#conditional(`taking over ${file.key}`, {
      Key: this.#key(file),
      UpdateExpression: `SET runId = :run, startedAt = :now, updatedAt = :now${to === undefined ? ' REMOVE #unit' : ', #unit = :to'}`,
      ConditionExpression: '#status = :loading AND etag = :etag AND generation = :gen AND #unit = :from AND (runId = :run OR startedAt < :stale)',
      ExpressionAttributeNames: { '#status': 'status', '#unit': 'unit' },
      ExpressionAttributeValues: {
        ':run': runId,
        ':now': now,
        ':loading': 'loading',
        ':etag': file.etag,
        ':gen': file.generation,
        ':from': from,
        ':stale': staleBefore.toISOString(),
        ...(to === undefined ? {} : { ':to': to }),
      },
    });
  }

  async recordUnit(unit: LoadUnit): Promise<void> {
    const now = this.#now();
    await awsCall(`recording load unit ${unit.id}`, () =>
      this.#documents.send(
        new PutCommand({
          TableName: this.#options.tableName,
          Item: {
            pk: unitPartitionKey(unit.tenant, unit.table),
            sk: unit.id,
            runId: unit.runId,
            members: unit.members,
            createdAt: unit.createdAt,
            [LEDGER_TTL_ATTRIBUTE]: this.#expiresAt(now),
          },
          // A unit's composition is written once: a second writer of the same id is a bug.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async getUnit(tenant: string, table: CanonicalTable, id: string): Promise<LoadUnit | undefined> {
    const { Item } = await awsCall(`reading load unit ${id}`, () =>
      this.#documents.send(new GetCommand({ TableName: this.#options.tableName, Key: { pk: unitPartitionKey(tenant, table), sk: id }, ConsistentRead: true })),
    );
    if (!Item) return undefined;
    const members = (Item.members as Record<string, unknown>[]).map(
      (m): UnitMember => ({ key: String(m.key), etag: String(m.etag), size: Number(m.size), generation: Number(m.generation) }),
    );
    return { tenant, table, id, runId: String(Item.runId), members, createdAt: String(Item.createdAt) };
  }

  async #finish(file: FileVersion, runId: string, status: 'loaded' | 'failed', extra: { rows?: number; error?: string }): Promise<void> {
    const now = this.#now();
    const set = ['#status = :status', 'updatedAt = :now', '#ttl = :exp', 'runId = :run'];
    const names: Record<string, string> = { '#status': 'status', '#ttl': LEDGER_TTL_ATTRIBUTE };
    const values: Record<string, unknown> = {
      ':status': status,
      ':now': now.toISOString(),
      ':exp': this.#expiresAt(now),
      ':run': runId,
      ':etag': file.etag,
      ':loading': 'loading',
    };
    if (extra.rows !== undefined) {
      set.push('#rows = :rows');
      names['#rows'] = 'rows';
      values[':rows'] = extra.rows;
    }
    if (extra.error !== undefined) {
      set.push('#error = :error');
      names['#error'] = 'error';
      values[':error'] = extra.error.slice(0, 4000);
    }
    const done = await this.#conditional(`recording ${file.key} as ${status}`, {
      Key: this.#key(file),
      UpdateExpression: `SET ${set.join(', ')}`,
      ConditionExpression: '#status = :loading AND runId = :run AND etag = :etag',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    if (done) return;
    const entry = await this.get(file);
    if (entry?.status === status && entry.etag === file.etag) return;
    throw new FileBusyError(`lost the claim on the file before recording it as ${status}`, {
      tenant: file.tenant,
      table: file.table,
      file: file.key,
    });
  }

  markLoaded(file: FileVersion, runId: string, rows: number): Promise<void> {
    return this.#finish(file, runId, 'loaded', { rows });
  }

  markFailed(file: FileVersion, runId: string, error: string): Promise<void> {
    return this.#finish(file, runId, 'failed', { error });
  }

  async release(file: Pick<FileVersion, 'tenant' | 'table' | 'key'>, runId: string): Promise<void> {
    await this.#conditional(`releasing ${file.key}`, {
      Key: this.#key(file),
      UpdateExpression: 'SET startedAt = :epoch',
      ConditionExpression: '#status = :loading AND runId = :run',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':epoch': new Date(0).toISOString(), ':loading': 'loading', ':run': runId },
    });
  }

  async reset(params: { tenant: string; table: CanonicalTable; key?: string; status?: FileStatus }): Promise<number> {
    const entries = [...(await this.listItem(params.tenant, params.table)).values()].filter(
      (e) => (params.key === undefined || e.key === params.key) && (params.status === undefined || e.status === params.status),
    );
    let count = 0;
    for (const entry of entries) {
      const done = await this.#conditional(`resetting ${entry.key}`, {
        Key: this.#key(entry),
        UpdateExpression: 'SET #status = :reset, generation = :next, updatedAt = :now REMOVE #error',
        ConditionExpression: 'generation = :gen AND #status <> :loading',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':reset': 'reset',
          ':next': entry.generation + 1,
          ':gen': entry.generation,
          ':loading': 'loading',
          ':now': this.#now().toISOString(),
        },
      });
      if (done) count++;
    }
    return count;
  }
}
