/**
 * `<data-dir>/landing/` mirrors the bucket: before each run, new or changed files are copied
 * into the local S3, and files deleted from the folder are deleted from it, so a user drops (or
 * removes) files in a folder and runs. A new object's LastModified is its file's modification
 * time: the folder is the local bucket, so a file landed when it was written there (a tenant's
 * `--since` compares with it). A replaced object keeps the copy's time, as S3 stamps an overwrite:
 * a key's time never moves back, so the engine's caches of what it read by URL stay valid.
 * A file is compared with its object by MD5, unless its size and modification time are those the
 * last sync recorded for it and the object is still the one it left (`synced-files.json`): then
 * it is not read at all.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { readSyncedFiles, writeSyncedFiles, type SyncedFile } from './synced-files.js';
import { join, relative, sep } from 'node:path';
import pMap from 'p-map';
import { markArrivals } from '../lib/arrivals.js';
import type { ArrivalMarks } from '../ports.js';

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

export interface SyncResult {
  uploaded: number;
  unchanged: number;
  deleted: number;
  /** Files read to compare them with their objects (the others matched the last sync's record). */
  hashed: number;
}

/** `syncedFiles`: where the sync keeps what it last saw of each file (none: every file is compared by MD5). */
export async function syncLanding(
  landingDir: string,
  deps: {
    s3: S3Client;
    bucket: string;
    /** Every object of the bucket, with its ETag and size. */
    listObjects: () => Promise<{ key: string; etag: string; size: number }[]>;
    arrivals: Pick<ArrivalMarks, 'mark'>;
    /**
     * Copies a file into the bucket as PutObject would, through the local S3's own store (no
     * HTTP); a new object takes `lastModified`. Returns its ETag.
     */
    putFile: (key: string, path: string, lastModified?: Date, onBytes?: (bytes: number) => void) => Promise<string>;
    syncedFiles?: string;
  },
  onProgress: (progress: SyncProgress) => void = () => undefined,
  options: { deleteMissing?: boolean } = {},
): Promise<SyncResult> {
  if (!existsSync(landingDir)) return { uploaded: 0, unchanged: 0, deleted: 0, hashed: 0 };
  const startedAt = Date.now();
  const remote = new Map((await deps.listObjects()).map((f) => [f.key, f]));
  const before = deps.syncedFiles ? readSyncedFiles(deps.syncedFiles) : new Map<string, SyncedFile>();
  const after = new Map<string, SyncedFile>();
  // The sizes first, so progress can say how much is left.
  const local: { path: string; size: number; mtime: Date; mtimeMs: number }[] = [];
  for await (const path of walk(landingDir)) {
    const { size, mtime, mtimeMs } = await stat(path);
    local.push({ path, size, mtime, mtimeMs });
  }
  const progress: SyncProgress = { files: 0, filesTotal: local.length, bytes: 0, bytesTotal: local.reduce((n, f) => n + f.size, 0) };
  onProgress({ ...progress });
  let uploaded = 0;
  let unchanged = 0;
  let hashed = 0;
  // What S3 event notifications do on AWS: each changed item is marked for the next tick.
  const arrived: string[] = [];
  // Bytes of the copies under way, so progress moves while they are sent.
  let sending = 0;
  const keys = local.map(({ path }) => relative(landingDir, path).split(sep).join('/'));
  // Several files at a time: one by one, each copy waited on the local S3's round trips.
  await pMap(
    local,
    async ({ path, size, mtime, mtimeMs }, i) => {
      const key = keys[i]!;
      const existing = remote.get(key);
      const seen = before.get(key);
      // Untouched since the last sync, and its object is the one that sync left: no need to read it.
      const untouched = existing !== undefined && seen !== undefined && seen.size === size && seen.mtimeMs === mtimeMs && seen.etag === existing.etag && existing.size === size;
      let same = untouched;
      if (!same && existing !== undefined && existing.size === size) {
        hashed++;
        same = existing.etag === (await md5(path));
      }
      if (existing !== undefined && same) {
        unchanged++;
        after.set(key, { size, mtimeMs, etag: existing.etag });
      } else {
        let sent = 0;
        const etag = await deps.putFile(key, path, existing ? undefined : mtime, (bytes) => {
          sending += bytes - sent;
          sent = bytes;
          onProgress({ ...progress, bytes: progress.bytes + sending });
        });
        sending -= sent;
        after.set(key, { size, mtimeMs, etag });
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
  if (deps.syncedFiles) writeSyncedFiles(deps.syncedFiles, after, startedAt);
  return { uploaded, unchanged, deleted: remote.size, hashed };
}
