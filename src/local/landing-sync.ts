/**
 * `<data-dir>/landing/` mirrors the bucket: before each run, new or changed files are copied
 * into the local S3, and files deleted from the folder are deleted from it, so a user drops (or
 * removes) files in a folder and runs. A new object's LastModified is its file's modification
 * time: the folder is the local bucket, so a file landed when it was written there (a tenant's
 * `--since` compares with it). A replaced object keeps the copy's time, as S3 stamps an overwrite:
 * a key's time never moves back, so the engine's caches of what it read by URL stay valid.
 */
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Transform, pipeline } from 'node:stream';
import pMap from 'p-map';
import { markArrivals } from '../lib/arrivals.js';
import type { ArrivalMarks, ObjectStore } from '../ports.js';

/** Files checked and copied at a time. */
const SYNC_CONCURRENCY = 8;

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function md5(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('md5');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/** Files of the folder checked (and copied when new or changed), of all of them; bytes likewise. */
export interface SyncProgress {
  files: number;
  filesTotal: number;
  bytes: number;
  bytesTotal: number;
}

export async function syncLanding(
  landingDir: string,
  deps: { s3: S3Client; bucket: string; store: ObjectStore; arrivals: Pick<ArrivalMarks, 'mark'>; setLastModified?: (key: string, at: Date) => Promise<unknown> },
  onProgress: (progress: SyncProgress) => void = () => undefined,
  options: { deleteMissing?: boolean } = {},
): Promise<{ uploaded: number; unchanged: number; deleted: number }> {
  if (!existsSync(landingDir)) return { uploaded: 0, unchanged: 0, deleted: 0 };
  const remote = new Map((await deps.store.list('')).map((f) => [f.key, f]));
  // The sizes first, so progress can say how much is left.
  const local: { path: string; size: number; mtime: Date }[] = [];
  for await (const path of walk(landingDir)) {
    const { size, mtime } = await stat(path);
    local.push({ path, size, mtime });
  }
  const progress: SyncProgress = { files: 0, filesTotal: local.length, bytes: 0, bytesTotal: local.reduce((n, f) => n + f.size, 0) };
  onProgress({ ...progress });
  let uploaded = 0;
  let unchanged = 0;
  // What S3 event notifications do on AWS: each changed item is marked for the next tick.
  const arrived: string[] = [];
  // Bytes of the copies under way, so progress moves while they are sent.
  let sending = 0;
  const keys = local.map(({ path }) => relative(landingDir, path).split(sep).join('/'));
  // Several files at a time: one by one, each copy waited on the local S3's round trips.
  await pMap(
    local,
    async ({ path, size, mtime }, i) => {
      const key = keys[i]!;
      const existing = remote.get(key);
      if (existing && existing.size === size && existing.etag === (await md5(path))) {
        unchanged++;
      } else {
        // Counted as the upload pulls the bytes (a 'data' listener would let them flow past it).
        let sent = 0;
        const counted = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            sent += chunk.length;
            sending += chunk.length;
            onProgress({ ...progress, bytes: progress.bytes + sending });
            callback(null, chunk);
          },
        });
        const body = pipeline(createReadStream(path), counted, () => undefined);
        await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: body, ContentLength: size }));
        if (!existing) await deps.setLastModified?.(key, mtime);
        sending -= sent;
        arrived.push(key);
        uploaded++;
      }
      progress.files++;
      progress.bytes += size;
      onProgress({ ...progress, bytes: progress.bytes + sending });
    },
    { concurrency: SYNC_CONCURRENCY },
  );
  // What the folder no longer holds was deleted from it: the bucket follows, and the next Plan retires it.
  for (const key of keys) remote.delete(key);
  // Objects written through the S3 API (the console's producers) have no file to mirror: kept.
  if (options.deleteMissing === false) remote.clear();
  for (const key of remote.keys()) await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: key }));
  await markArrivals([...arrived, ...remote.keys()], new Date().toISOString(), deps.arrivals);
  return { uploaded, unchanged, deleted: remote.size };
}
