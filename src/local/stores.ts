/**
 * The embedded stores under one data dir: dynalite (DynamoDB) and s3rver (S3) each in a child
 * process, chDB (ClickHouse) opened by the handlers' own client.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, waitUntilTableExists, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../project-root.js';
import { TABLE_SHAPES } from '../dynamo-schema.js';

export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const LOCAL_REGION = 'us-east-1';

export interface LocalStoreNames {
  tenantsTable: string;
  ledgerTable: string;
  idempotencyTable: string;
  arrivalsTable: string;
  landingBucket: string;
  runsBucket: string;
}

/** One GET of an object from the local S3, as it is sent: bytes and newlines so far. */
export interface ObjectRead {
  key: string;
  /** Tells reads of the same key apart (the check read and the insert read of a file). */
  read: number;
  bytes: number;
  lines: number;
  done: boolean;
}

export interface RunningStores {
  dynamodbEndpoint: string;
  s3Endpoint: string;
  /** Calls `listener` as objects are read from the local S3; returns how to stop. */
  onObjectRead(listener: (read: ObjectRead) => void): () => void;
  /**
   * Writes a local file as an object, as PutObject would, through the local S3's own store
   * (no HTTP); a new object's LastModified is `lastModified`. Returns its ETag.
   */
  putFile(bucket: string, key: string, path: string, lastModified?: Date, onBytes?: (bytes: number) => void): Promise<string>;
  /**
   * Every object of the bucket with its ETag and size, from the local S3's own store (no HTTP):
   * what a listing through the S3 API answers, without its XML both ways.
   */
  listObjects(bucket: string): Promise<{ key: string; etag: string; size: number }[]>;
  stop(): Promise<void>;
}

/** The DynamoDB tables, with the key schemas the stacks deploy. */
export function tableDefinitions(names: LocalStoreNames): CreateTableCommandInput[] {
  return [
    { TableName: names.tenantsTable, ...TABLE_SHAPES.tenants, BillingMode: 'PAY_PER_REQUEST' },
    { TableName: names.ledgerTable, ...TABLE_SHAPES.ledger, BillingMode: 'PAY_PER_REQUEST' },
    { TableName: names.idempotencyTable, ...TABLE_SHAPES.idempotency, BillingMode: 'PAY_PER_REQUEST' },
    { TableName: names.arrivalsTable, ...TABLE_SHAPES.arrivals, BillingMode: 'PAY_PER_REQUEST' },
  ];
}

async function ensureTables(endpoint: string, names: LocalStoreNames): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    await Promise.all(
      tableDefinitions(names).map(async (table) => {
        try {
          await client.send(new DescribeTableCommand({ TableName: table.TableName }));
        } catch (error) {
          if (!(error instanceof ResourceNotFoundException)) throw error;
          await client.send(new CreateTableCommand(table));
          // A new table is CREATING for a moment, and dynalite answers "not found" until it is ACTIVE.
          await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 }, { TableName: table.TableName! });
        }
      }),
    );
  } finally {
    client.destroy();
  }
}

/** Forks a store's process; resolves once it listens, with the port it tells. */
function startStoreProcess(what: string, script: string, args: string[], execArgv: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(projectPath('src', 'local', script), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { port?: number; error?: string }) => {
      if (message.port !== undefined) resolve({ child, port: message.port });
      else reject(new Error(`${what} could not start: ${message.error}`));
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with code ${code}`)));
    child.once('error', reject);
  });
}

// s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy
// provider: without it every listing longer than one page (1,000 keys) fails with a 500.
const startS3rver = (directory: string, buckets: string[]) => startStoreProcess('the local S3 server', 's3rver-process.mjs', [directory, ...buckets], ['--openssl-legacy-provider']);

/** Stops a store's process and waits until it has exited (dynalite's database is closed by then). */
async function stopStoreProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill();
  await exited;
}

/**
 * Starts the stores. The local S3's process is forked before the first await, so whatever the
 * caller does next (building the state machine) overlaps its start-up; dynalite's tables are
 * checked meanwhile.
 */
export async function startStores(dataDir: string, names: LocalStoreNames): Promise<RunningStores> {
  const dynamoDir = join(dataDir, 'dynamodb');
  const s3Dir = join(dataDir, 's3');
  mkdirSync(dynamoDir, { recursive: true });
  mkdirSync(s3Dir, { recursive: true });
  const s3Starting = startS3rver(s3Dir, [names.landingBucket, names.runsBucket]);
  // Awaited below; a failure before then is not left unhandled.
  s3Starting.catch(() => undefined);
  let dynamo: { child: ChildProcess; port: number };
  try {
    dynamo = await startStoreProcess('the local DynamoDB (dynalite)', 'dynalite-process.mjs', [dynamoDir]);
  } catch (error) {
    (await s3Starting.catch(() => undefined))?.child.kill();
    throw error;
  }
  const dynamodbEndpoint = `http://127.0.0.1:${dynamo.port}`;
  const closeDynamo = () => stopStoreProcess(dynamo.child);
  let s3: { child: ChildProcess; port: number } | undefined;
  try {
    await ensureTables(dynamodbEndpoint, names);
    s3 = await s3Starting;
  } catch (error) {
    // A half-started set of stores is stopped, so the process can still exit.
    (s3 ?? (await s3Starting.catch(() => undefined)))?.child.kill();
    await closeDynamo();
    throw error;
  }
  const child = s3.child;
  const readers = new Set<(read: ObjectRead) => void>();
  const puts = new Map<number, { resolve: (etag: string) => void; reject: (error: Error) => void; onBytes?: (bytes: number) => void }>();
  type Listed = { key: string; etag: string; size: number }[];
  const lists = new Map<number, { resolve: (objects: Listed) => void; reject: (error: Error) => void }>();
  child.on('message', (message: { read?: ObjectRead; put?: { id: number; etag?: string; error?: string; bytes?: number }; list?: { id: number; objects?: Listed; error?: string } }) => {
    if (message.read) for (const reader of readers) reader(message.read);
    const list = message.list && lists.get(message.list.id);
    if (list && message.list) {
      lists.delete(message.list.id);
      if (message.list.objects) list.resolve(message.list.objects);
      else list.reject(new Error(`the local S3 could not list its objects: ${message.list.error}`));
    }
    const put = message.put && puts.get(message.put.id);
    if (!put || !message.put) return;
    if (message.put.bytes !== undefined) return put.onBytes?.(message.put.bytes);
    puts.delete(message.put.id);
    if (message.put.etag !== undefined) put.resolve(message.put.etag);
    else put.reject(new Error(`the local S3 could not store the file: ${message.put.error}`));
  });
  /** Sends the local S3 a request under a fresh id; its answer (or the send's failure) settles it. */
  let ids = 0;
  const ask = <T, E extends object>(waiting: Map<number, { resolve: (value: T) => void; reject: (error: Error) => void } & E>, request: (id: number) => object, extra: E) =>
    new Promise<T>((resolve, reject) => {
      const id = ++ids;
      waiting.set(id, { resolve, reject, ...extra });
      child.send(request(id), (error) => {
        if (!error) return;
        waiting.delete(id);
        reject(error);
      });
    });
  child.once('exit', (code) => {
    for (const waiting of [...puts.values(), ...lists.values()]) waiting.reject(new Error(`the local S3 server exited with code ${code}`));
    puts.clear();
    lists.clear();
  });
  return {
    dynamodbEndpoint,
    s3Endpoint: `http://127.0.0.1:${s3.port}`,
    onObjectRead(listener) {
      readers.add(listener);
      return () => readers.delete(listener);
    },
    putFile(bucket, key, path, lastModified, onBytes) {
      return ask(puts, (id) => ({ put: { id, bucket, key, path, lastModified: lastModified?.getTime() } }), onBytes ? { onBytes } : {});
    },
    listObjects(bucket) {
      return ask(lists, (id) => ({ list: { id, bucket } }), {});
    },
    async stop() {
      await Promise.all([stopStoreProcess(child), closeDynamo()]);
    },
  };
}
