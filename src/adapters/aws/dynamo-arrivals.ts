/** The ArrivalMarks port on DynamoDB: one item per marked tenant x table, and one for the last sweep. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ARRIVALS_KEY } from '../../dynamo-schema.js';
import type { ArrivalMark, ArrivalMarks } from '../../ports.js';
import { awsCall } from './classify.js';

const SWEEP = '#sweep';
const itemKey = (tenant: string, table: string) => `${tenant}#${table}`;

export class DynamoArrivalMarks implements ArrivalMarks {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#table = tableName;
  }

  async mark(tenant: string, table: string, at: string): Promise<void> {
    try {
      await awsCall(`marking ${tenant}/${table} in ${this.#table}`, () =>
        this.#db.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: { [ARRIVALS_KEY.partition]: itemKey(tenant, table) },
            UpdateExpression: 'SET tenant = :tenant, #table = :table, arrivedAt = :at',
            // Events arrive out of order: the mark keeps the latest arrival.
            ConditionExpression: 'attribute_not_exists(arrivedAt) OR arrivedAt < :at',
            ExpressionAttributeNames: { '#table': 'table' },
            ExpressionAttributeValues: { ':tenant': tenant, ':table': table, ':at': at },
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async list(): Promise<ArrivalMark[]> {
    const marks: ArrivalMark[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await awsCall(`reading the arrival marks in ${this.#table}`, () => this.#db.send(new ScanCommand({ TableName: this.#table, ExclusiveStartKey: start })));
      for (const item of page.Items ?? []) if (item[ARRIVALS_KEY.partition] !== SWEEP) marks.push({ tenant: item.tenant, table: item.table, arrivedAt: item.arrivedAt });
      start = page.LastEvaluatedKey;
    } while (start);
    return marks;
  }

  async clear(tenant: string, table: string, listedAt: string): Promise<void> {
    try {
      await awsCall(`clearing the mark of ${tenant}/${table}`, () =>
        this.#db.send(
          new DeleteCommand({
            TableName: this.#table,
            Key: { [ARRIVALS_KEY.partition]: itemKey(tenant, table) },
            // An object that arrived after the listing keeps the item marked for the next tick.
            ConditionExpression: 'attribute_exists(arrivedAt) AND arrivedAt <= :listed',
            ExpressionAttributeValues: { ':listed': listedAt },
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async lastSweep(): Promise<string | undefined> {
    const { Item } = await awsCall(`reading the last sweep in ${this.#table}`, () => this.#db.send(new GetCommand({ TableName: this.#table, Key: { [ARRIVALS_KEY.partition]: SWEEP } })));
    return Item?.at as string | undefined;
  }

  async recordSweep(at: string): Promise<void> {
    await awsCall(`recording a sweep in ${this.#table}`, () => this.#db.send(new PutCommand({ TableName: this.#table, Item: { [ARRIVALS_KEY.partition]: SWEEP, at } })));
  }

  async requestSweep(): Promise<void> {
    await awsCall(`requesting a sweep in ${this.#table}`, () => this.#db.send(new DeleteCommand({ TableName: this.#table, Key: { [ARRIVALS_KEY.partition]: SWEEP } })));
  }
}
