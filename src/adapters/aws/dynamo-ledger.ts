/**
 * The file ledger on DynamoDB: one item per (tenant#table, S3 key), and one per load unit in a
 * partition of its own. Every state change is a conditional write, so two attempts can never
 * both own a file or a unit (dynalite has no transactions, and none are needed). The rules the
 * conditions encode are drawn in docs/exactly-once.md.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Attempt, ClaimOutcome, FileStatus, FileVersion, IgnoredObject, IgnoreReason, Ledger, LedgerEntry, LoadUnit, UnitMember, UnitState } from '../../ports.js';
import type { TableName } from '../../tables.js';
import { FileBusyError } from '../../errors.js';
import { awsCall } from './classify.js';
import { LEDGER_TTL_ATTRIBUTE } from '../../dynamo-schema.js';
import { parseVersionName, versionName } from '../../lib/dedup-token.js';

const partitionKey = (tenant: string, table: string) => `${tenant}#${table}`;
/** Load units live beside the files, in a partition of their own that listing the files never reads. */
const unitPartitionKey = (tenant: string, table: string) => `${tenant}#${table}#unit`;
/** Ignored objects, per scope; `~` cannot begin a tenant id, so no file partition is ever read as one. */
const ignoredPartitionKey = (scope: string) => `~ignored#${scope}`;


function toEntry(item: Record<string, unknown>): LedgerEntry {
  const versions = item.loadedVersions as Set<string> | undefined;
  return {
    tenant: String(item.tenant),
    table: item.tbl as TableName,
    key: String(item.sk),
    etag: String(item.etag),
    size: Number(item.size ?? 0),
    status: item.status as FileStatus,
    generation: Number(item.generation ?? 0),
    runId: String(item.runId ?? ''),
    ...(item.rows !== undefined ? { rows: Number(item.rows) } : {}),
    ...(item.error !== undefined ? { error: String(item.error) } : {}),
    ...(item.errorCode !== undefined ? { errorCode: String(item.errorCode) } : {}),
    ...(item.errorRow !== undefined ? { errorRow: Number(item.errorRow) } : {}),
    ...(item.errorColumn !== undefined ? { errorColumn: String(item.errorColumn) } : {}),
    ...(item.attempt !== undefined ? { attempt: String(item.attempt) } : {}),
    ...(item.leaseUntil !== undefined ? { leaseUntil: String(item.leaseUntil) } : {}),
    ...(item.unit !== undefined ? { unit: String(item.unit) } : {}),
    ...(item.checkedRows !== undefined ? { checkedRows: Number(item.checkedRows) } : {}),
    ...(item.insertsOverAt !== undefined ? { insertsOverAt: String(item.insertsOverAt) } : {}),
    ...(item.earlierInsertsOverAt !== undefined ? { earlierInsertsOverAt: String(item.earlierInsertsOverAt) } : {}),
    ...(versions?.size ? { loadedVersions: [...versions].sort() } : {}),
    startedAt: String(item.startedAt ?? ''),
    updatedAt: String(item.updatedAt ?? ''),
  };
}

export interface DynamoLedgerOptions {
  tableName: string;
  /** Days a settled entry is kept; 0 keeps entries for good (the default: an entry must outlive its file). */
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

  /** The TTL attribute's value, or undefined when entries are kept for good. */
  #expiresAt(now: Date): number | undefined {
    return this.#options.ttlDays > 0 ? Math.floor(now.getTime() / 1000) + this.#options.ttlDays * 86_400 : undefined;
  }

  #key(file: { tenant: string; table: string; key: string }) {
    return { pk: partitionKey(file.tenant, file.table), sk: file.key };
  }

  async listItem(tenant: string, table: TableName): Promise<Map<string, LedgerEntry>> {
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

  async get(file: { tenant: string; table: TableName; key: string }): Promise<LedgerEntry | undefined> {
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

  async claim(file: FileVersion, attempt: Attempt, now: Date): Promise<ClaimOutcome> {
    const expires = this.#expiresAt(now);
    const claimed = await this.#conditional(`claiming ${file.key}`, {
      Key: this.#key(file),
      UpdateExpression:
        'SET tenant = :tenant, tbl = :table, etag = :etag, #size = :size, generation = :gen, #status = :loading, runId = :run, ' +
        `attempt = :attempt, leaseUntil = :lease, startedAt = :now, updatedAt = :now${expires === undefined ? '' : ', #ttl = :exp'} REMOVE #error, errorCode, errorRow, errorColumn, #rows, #unit, checkedRows, insertsOverAt, earlierInsertsOverAt`,
      ConditionExpression:
        'attribute_not_exists(pk)' +
        // Reset by an operator for exactly this generation.
        ' OR (#status = :reset AND generation = :gen AND etag = :etag)' +
        // The object came back to a version that was superseded before it loaded.
        ' OR (#status = :superseded AND etag = :etag AND generation = :gen)' +
        // Another version, settled or abandoned before any unit held it; and this one never loaded.
        ' OR (etag <> :etag AND (#status <> :loading OR (leaseUntil < :now AND attribute_not_exists(#unit))) AND NOT contains(loadedVersions, :version))' +
        // The object was deleted and landed again with these bytes: nothing of a gone version was inserted.
        ' OR (#status = :gone AND etag = :etag AND generation = :gen AND NOT contains(loadedVersions, :version))' +
        // Skipped before its tenant's start point, which has moved back or gone since.
        ' OR (#status = :skipped AND etag = :etag AND generation = :gen AND NOT contains(loadedVersions, :version))',
      ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#rows': 'rows', '#size': 'size', '#unit': 'unit', ...(expires === undefined ? {} : { '#ttl': LEDGER_TTL_ATTRIBUTE }) },
      ExpressionAttributeValues: {
        ':tenant': file.tenant,
        ':table': file.table,
        ':etag': file.etag,
        ':size': file.size,
        ':gen': file.generation,
        ':loading': 'loading',
        ':reset': 'reset',
        ':superseded': 'superseded',
        ':gone': 'gone',
        ':skipped': 'skipped',
        ':run': attempt.runId,
        ':attempt': attempt.id,
        ':lease': attempt.leaseUntil.toISOString(),
        ':now': now.toISOString(),
        ':version': versionName(file),
        ...(expires === undefined ? {} : { ':exp': expires }),
      },
    });
    if (claimed) return { outcome: 'claimed' };
    const entry = await this.get(file);
    if (!entry) throw new FileBusyError('the ledger item changed while it was being claimed', { tenant: file.tenant, table: file.table, file: file.key });
    if (entry.loadedVersions?.includes(versionName(file))) return { outcome: 'done', entry: { ...entry, etag: file.etag, generation: file.generation, status: 'loaded' } };
    const sameVersion = entry.etag === file.etag && entry.generation === file.generation;
    if (sameVersion && (entry.status === 'loaded' || entry.status === 'failed')) return { outcome: 'done', entry };
    if (entry.status === 'loading') return { outcome: (entry.leaseUntil ?? '') < now.toISOString() ? 'expired' : 'busy', entry };
    return { outcome: 'busy', entry };
  }

  async takeOver(file: FileVersion, from: { attempt: string; unit: string | undefined }, attempt: Attempt, now: Date): Promise<boolean> {
    return this.#conditional(`taking over ${file.key}`, {
      Key: this.#key(file),
      // The inserts of every holder so far are now those before the new one.
      UpdateExpression: 'SET attempt = :attempt, leaseUntil = :lease, runId = :run, updatedAt = :now, earlierInsertsOverAt = if_not_exists(insertsOverAt, :epoch)',
      // The binding seen is a condition too: a claim bound to a unit since is that unit's to settle.
      ConditionExpression:
        // The new holder's own lease must still run: a zombie past its lease takes nothing over,
        // so each holder's lease ends after the one before it, and so do its inserts.
        '#status = :loading AND etag = :etag AND generation = :gen AND attempt = :from AND leaseUntil < :now AND :lease > :now AND ' +
        (from.unit === undefined ? 'attribute_not_exists(#unit)' : '#unit = :unit'),
      ExpressionAttributeNames: { '#status': 'status', '#unit': 'unit' },
      ExpressionAttributeValues: {
        ':attempt': attempt.id,
        ':lease': attempt.leaseUntil.toISOString(),
        ':run': attempt.runId,
        ':now': now.toISOString(),
        ':loading': 'loading',
        ':etag': file.etag,
        ':gen': file.generation,
        ':from': from.attempt,
        ':epoch': new Date(0).toISOString(),
        ...(from.unit === undefined ? {} : { ':unit': from.unit }),
      },
    });
  }

  async bind(file: FileVersion, attempt: Attempt, unit: string | undefined): Promise<boolean> {
    return this.#conditional(`binding ${file.key} to a load unit`, {
      Key: this.#key(file),
      UpdateExpression: unit === undefined ? 'REMOVE #unit' : 'SET #unit = :unit',
      ConditionExpression: '#status = :loading AND etag = :etag AND generation = :gen AND attempt = :attempt',
      ExpressionAttributeNames: { '#status': 'status', '#unit': 'unit' },
      ExpressionAttributeValues: {
        ':loading': 'loading',
        ':etag': file.etag,
        ':gen': file.generation,
        ':attempt': attempt.id,
        ...(unit === undefined ? {} : { ':unit': unit }),
      },
    });
  }

  async noteChecked(file: FileVersion, attempt: Attempt, rows: number, insertOverAt: Date): Promise<boolean> {
    return this.#conditional(`recording the checked rows of ${file.key}`, {
      Key: this.#key(file),
      UpdateExpression: 'SET checkedRows = :rows, insertsOverAt = :over',
      ConditionExpression: '#status = :loading AND etag = :etag AND generation = :gen AND attempt = :attempt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':rows': rows, ':over': insertOverAt.toISOString(), ':loading': 'loading', ':etag': file.etag, ':gen': file.generation, ':attempt': attempt.id },
    });
  }

  async standAside(file: FileVersion, attempt: Attempt): Promise<boolean> {
    return this.#conditional(`ending the lease on ${file.key}`, {
      Key: this.#key(file),
      UpdateExpression: 'SET leaseUntil = :epoch, insertsOverAt = if_not_exists(earlierInsertsOverAt, :epoch)',
      ConditionExpression: '#status = :loading AND etag = :etag AND generation = :gen AND attempt = :attempt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':epoch': new Date(0).toISOString(), ':loading': 'loading', ':etag': file.etag, ':gen': file.generation, ':attempt': attempt.id },
    });
  }

  #unitKey(unit: Pick<LoadUnit, 'tenant' | 'table' | 'id'>) {
    return { pk: unitPartitionKey(unit.tenant, unit.table), sk: unit.id };
  }

  async openUnit(unit: LoadUnit): Promise<boolean> {
    const expires = this.#expiresAt(this.#now());
    try {
      await awsCall(`opening load unit ${unit.id}`, () =>
        this.#documents.send(
          new PutCommand({
            TableName: this.#options.tableName,
            Item: {
              ...this.#unitKey(unit),
              mode: unit.mode,
              members: unit.members,
              state: 'open',
              attempt: unit.attempt,
              leaseUntil: unit.leaseUntil,
              runId: unit.runId,
              createdAt: unit.createdAt,
              ...(expires === undefined ? {} : { [LEDGER_TTL_ATTRIBUTE]: expires }),
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #state = :abandoned',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':abandoned': 'abandoned' },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  sealUnit(unit: Pick<LoadUnit, 'tenant' | 'table' | 'id'>, attempt: Attempt): Promise<boolean> {
    return this.#conditional(`sealing load unit ${unit.id}`, {
      Key: this.#unitKey(unit),
      UpdateExpression: 'SET #state = :sealed',
      ConditionExpression: '#state = :open AND attempt = :attempt',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':sealed': 'sealed', ':open': 'open', ':attempt': attempt.id },
    });
  }

  async abandonUnit(unit: Pick<LoadUnit, 'tenant' | 'table' | 'id'>, now: Date): Promise<boolean> {
    try {
      await awsCall(`abandoning load unit ${unit.id}`, () =>
        this.#documents.send(
          new UpdateCommand({
            TableName: this.#options.tableName,
            Key: this.#unitKey(unit),
            UpdateExpression: 'SET #state = :abandoned',
            ConditionExpression: 'attribute_not_exists(pk) OR (#state = :open AND leaseUntil < :now) OR #state = :abandoned',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':abandoned': 'abandoned', ':open': 'open', ':now': now.toISOString() },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  takeUnit(unit: Pick<LoadUnit, 'tenant' | 'table' | 'id' | 'attempt' | 'leaseUntil'>, to: Pick<LoadUnit, 'attempt' | 'leaseUntil'>): Promise<boolean> {
    return this.#conditional(`taking load unit ${unit.id}`, {
      Key: this.#unitKey(unit),
      UpdateExpression: 'SET attempt = :attempt, leaseUntil = :lease',
      ConditionExpression: '#state = :sealed AND attempt = :from AND leaseUntil = :fromLease',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':sealed': 'sealed', ':attempt': to.attempt, ':lease': to.leaseUntil, ':from': unit.attempt, ':fromLease': unit.leaseUntil },
    });
  }

  splitUnit(unit: Pick<LoadUnit, 'tenant' | 'table' | 'id'>): Promise<boolean> {
    return this.#conditional(`splitting load unit ${unit.id}`, {
      Key: this.#unitKey(unit),
      UpdateExpression: 'SET #state = :split',
      ConditionExpression: '#state = :sealed OR #state = :split',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':split': 'split', ':sealed': 'sealed' },
    });
  }

  async getUnit(tenant: string, table: TableName, id: string): Promise<LoadUnit | undefined> {
    const { Item } = await awsCall(`reading load unit ${id}`, () =>
      this.#documents.send(new GetCommand({ TableName: this.#options.tableName, Key: this.#unitKey({ tenant, table, id }), ConsistentRead: true })),
    );
    // A unit abandoned before it was ever opened has no members.
    if (!Item || !Item.members) return Item ? { tenant, table, id, mode: 'unit', members: [], state: Item.state as UnitState, attempt: '', leaseUntil: '', runId: '', createdAt: '' } : undefined;
    const members = (Item.members as Record<string, unknown>[]).map(
      (m): UnitMember => ({ key: String(m.key), etag: String(m.etag), size: Number(m.size), generation: Number(m.generation) }),
    );
    return {
      tenant,
      table,
      id,
      mode: Item.mode === 'alone' ? 'alone' : 'unit',
      members,
      state: Item.state as UnitState,
      attempt: String(Item.attempt ?? ''),
      leaseUntil: String(Item.leaseUntil ?? ''),
      runId: String(Item.runId ?? ''),
      createdAt: String(Item.createdAt ?? ''),
    };
  }

  async settle(file: FileVersion, attempt: Attempt, outcome: { status: 'loaded'; rows: number } | { status: 'failed'; error: string; code?: string; row?: number; column?: string } | { status: 'superseded' }): Promise<boolean> {
    const now = this.#now();
    const expires = this.#expiresAt(now);
    const set = ['#status = :status', 'updatedAt = :now', 'runId = :run'];
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {
      ':status': outcome.status,
      ':now': now.toISOString(),
      ':run': attempt.runId,
      ':attempt': attempt.id,
      ':etag': file.etag,
      ':gen': file.generation,
      ':loading': 'loading',
    };
    if (expires !== undefined) {
      set.push('#ttl = :exp');
      names['#ttl'] = LEDGER_TTL_ATTRIBUTE;
      values[':exp'] = expires;
    }
    if (outcome.status === 'loaded') {
      set.push('#rows = :rows');
      names['#rows'] = 'rows';
      values[':rows'] = outcome.rows;
      values[':version'] = new Set([versionName(file)]);
    }
    if (outcome.status === 'failed') {
      set.push('#error = :error');
      names['#error'] = 'error';
      values[':error'] = outcome.error.slice(0, 4000);
      // Kept for the load log row Validate writes if the Load's own write never happens (log-repair.ts).
      if (outcome.code) {
        set.push('errorCode = :code');
        values[':code'] = outcome.code;
      }
      if (outcome.row !== undefined) {
        set.push('errorRow = :errorRow');
        values[':errorRow'] = outcome.row;
      }
      if (outcome.column !== undefined) {
        set.push('errorColumn = :errorColumn');
        values[':errorColumn'] = outcome.column;
      }
    }
    return this.#conditional(`recording ${file.key} as ${outcome.status}`, {
      Key: this.#key(file),
      UpdateExpression: `SET ${set.join(', ')} REMOVE attempt, leaseUntil${outcome.status === 'loaded' ? ' ADD loadedVersions :version' : ''}`,
      ConditionExpression: '#status = :loading AND attempt = :attempt AND etag = :etag AND generation = :gen',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  async recordSkipped(file: FileVersion, runId: string, now: Date): Promise<boolean> {
    const expires = this.#expiresAt(now);
    return this.#conditional(`recording ${file.key} as skipped`, {
      Key: this.#key(file),
      UpdateExpression:
        'SET tenant = :tenant, tbl = :table, etag = :etag, #size = :size, generation = :gen, #status = :skipped, runId = :run, ' +
        `startedAt = :now, updatedAt = :now${expires === undefined ? '' : ', #ttl = :exp'} REMOVE #error, errorCode, errorRow, errorColumn, #rows, #unit, attempt, leaseUntil`,
      // Never over a claim, a reset (an operator asked for it to load), a version ever loaded, or
      // this version already skipped: of two executions planning one folder at once, one logs it.
      ConditionExpression:
        'attribute_not_exists(pk) OR (generation = :gen AND #status <> :loading AND NOT contains(loadedVersions, :version) AND (etag <> :etag OR #status IN (:superseded, :gone)))',
      ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#rows': 'rows', '#size': 'size', '#unit': 'unit', ...(expires === undefined ? {} : { '#ttl': LEDGER_TTL_ATTRIBUTE }) },
      ExpressionAttributeValues: {
        ':tenant': file.tenant,
        ':table': file.table,
        ':etag': file.etag,
        ':size': file.size,
        ':gen': file.generation,
        ':skipped': 'skipped',
        ':loading': 'loading',
        ':superseded': 'superseded',
        ':gone': 'gone',
        ':run': runId,
        ':now': now.toISOString(),
        ':version': versionName(file),
        ...(expires === undefined ? {} : { ':exp': expires }),
      },
    });
  }

  async release(file: FileVersion, attempt: Attempt): Promise<void> {
    await this.#conditional(`releasing ${file.key}`, {
      Key: this.#key(file),
      UpdateExpression: 'SET leaseUntil = :epoch',
      ConditionExpression: '#status = :loading AND attempt = :attempt AND etag = :etag AND generation = :gen',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':epoch': new Date(0).toISOString(), ':loading': 'loading', ':attempt': attempt.id, ':etag': file.etag, ':gen': file.generation },
    });
  }

  async expireLeases(): Promise<number> {
    let expired = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await awsCall('scanning the ledger for leases', () =>
        this.#documents.send(
          new ScanCommand({
            TableName: this.#options.tableName,
            FilterExpression: '#status = :loading OR #state = :open',
            ExpressionAttributeNames: { '#status': 'status', '#state': 'state' },
            ExpressionAttributeValues: { ':loading': 'loading', ':open': 'open' },
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const isUnit = item.state !== undefined;
        const done = await this.#conditional('ending a lease', {
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: 'SET leaseUntil = :epoch',
          ConditionExpression: isUnit ? '#state = :open AND attempt = :attempt' : '#status = :loading AND attempt = :attempt',
          ExpressionAttributeNames: isUnit ? { '#state': 'state' } : { '#status': 'status' },
          ExpressionAttributeValues: { ':epoch': new Date(0).toISOString(), ':attempt': item.attempt, ...(isUnit ? { ':open': 'open' } : { ':loading': 'loading' }) },
        });
        if (done) expired++;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return expired;
  }

  async listIgnored(scope: string, prefix?: string): Promise<IgnoredObject[]> {
    const out: IgnoredObject[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await awsCall(`reading the ignored objects of ${scope}`, () =>
        this.#documents.send(
          new QueryCommand({
            TableName: this.#options.tableName,
            KeyConditionExpression: prefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': ignoredPartitionKey(scope), ...(prefix === undefined ? {} : { ':prefix': prefix }) },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        out.push({
          key: String(item.sk),
          etag: String(item.etag),
          size: Number(item.size ?? 0),
          reason: item.reason as IgnoreReason,
          runId: String(item.runId ?? ''),
          seenAt: String(item.seenAt ?? ''),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async recordIgnored(scope: string, object: IgnoredObject): Promise<void> {
    await awsCall(`recording ${object.key} as ignored`, () =>
      this.#documents.send(new PutCommand({ TableName: this.#options.tableName, Item: { pk: ignoredPartitionKey(scope), sk: object.key, etag: object.etag, size: object.size, reason: object.reason, runId: object.runId, seenAt: object.seenAt } })),
    );
  }

  async forgetIgnored(scope: string, key: string): Promise<void> {
    await awsCall(`forgetting the ignored object ${key}`, () =>
      this.#documents.send(new DeleteCommand({ TableName: this.#options.tableName, Key: { pk: ignoredPartitionKey(scope), sk: key } })),
    );
  }

  retireGone(entry: Pick<LedgerEntry, 'tenant' | 'table' | 'key' | 'etag' | 'generation' | 'loadedVersions'>, now: Date): Promise<boolean> {
    // The versions loaded at this generation stay loaded at the next: a version landed again
    // byte for byte after the key went is unchanged, never loaded a second time.
    const carried = (entry.loadedVersions ?? [])
      .map(parseVersionName)
      .filter((v) => v.generation === entry.generation)
      .map((v) => versionName({ etag: v.etag, generation: entry.generation + 1 }));
    return this.#conditional(`retiring ${entry.key} as gone`, {
      Key: this.#key(entry),
      // A new generation, as a reset gives: if the object lands again, its load is new work (new
      // unit ids, a new token), never the earlier attempts' records of this version.
      UpdateExpression: `SET #status = :gone, generation = :next, updatedAt = :now REMOVE attempt, leaseUntil${carried.length ? ' ADD loadedVersions :carried' : ''}`,
      // Never a loaded entry, nor a claim a live attempt holds or a unit may still insert.
      ConditionExpression:
        'etag = :etag AND generation = :gen AND (#status IN (:failed, :reset, :superseded, :skipped) OR (#status = :loading AND leaseUntil < :now AND attribute_not_exists(#unit)))',
      ExpressionAttributeNames: { '#status': 'status', '#unit': 'unit' },
      ExpressionAttributeValues: {
        ':gone': 'gone',
        ':now': now.toISOString(),
        ':etag': entry.etag,
        ':gen': entry.generation,
        ':next': entry.generation + 1,
        ':failed': 'failed',
        ':reset': 'reset',
        ':superseded': 'superseded',
        ':skipped': 'skipped',
        ':loading': 'loading',
        ...(carried.length ? { ':carried': new Set(carried) } : {}),
      },
    });
  }

  async reset(params: { tenant: string; table: TableName; key?: string; status?: FileStatus }): Promise<number> {
    const entries = [...(await this.listItem(params.tenant, params.table)).values()].filter(
      // A gone entry has no object to load again.
      (e) => e.status !== 'gone' && (params.key === undefined || e.key === params.key) && (params.status === undefined || e.status === params.status),
    );
    let count = 0;
    for (const entry of entries) {
      const done = await this.#conditional(`resetting ${entry.key}`, {
        Key: this.#key(entry),
        UpdateExpression: 'SET #status = :reset, generation = :next, updatedAt = :now REMOVE #error, errorCode, errorRow, errorColumn',
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
