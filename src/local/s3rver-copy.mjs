// The landing sync's copies into the local S3: the parent names a file and this process writes it
// as an object, as s3rver's PutObject does (the same files: object, MD5 and metadata), without
// sending the bytes through HTTP and the SDK's signing on both sides. A new object takes its
// file's modification time as its LastModified. The bytes are copied and hashed on threads of
// their own (s3rver-copy-worker.mjs), one per core up to four, so that copies use the cores while
// this thread only names the files and writes the metadata.
import { utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { writeObjectFile } from './s3rver-whole-objects.mjs';

const S3Object = createRequire(import.meta.url)('s3rver/lib/models/object');

/** Copying threads, started with the first copy; each takes the next copy waiting. */
function copyThreads(count) {
  const waiting = [];
  const idle = [];
  const running = new Map();
  let ids = 0;
  let started = 0;
  const next = (worker) => {
    const copy = waiting.shift();
    if (!copy) return idle.push(worker);
    running.set(copy.id, { ...copy, worker });
    worker.postMessage({ id: copy.id, from: copy.from, to: copy.to });
  };
  const start = () => {
    started++;
    const worker = new Worker(new URL('./s3rver-copy-worker.mjs', import.meta.url));
    // The process leaves with its parent whatever its threads are doing.
    worker.unref();
    worker.on('message', (message) => {
      const copy = running.get(message.id);
      if (!copy) return;
      if ('bytes' in message) return copy.onBytes(message.bytes);
      running.delete(message.id);
      if (message.error) copy.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
      else copy.resolve({ size: message.size, md5: message.md5 });
      next(worker);
    });
    worker.on('error', (error) => {
      // A thread that died fails the copy it held; another takes its place for the copies waiting.
      for (const [id, copy] of running) {
        if (copy.worker !== worker) continue;
        running.delete(id);
        copy.reject(error);
      }
      next(start());
    });
    return worker;
  };
  return (from, to, onBytes) =>
    new Promise((resolve, reject) => {
      waiting.push({ id: ++ids, from, to, onBytes, resolve, reject });
      const worker = idle.pop() ?? (started < count ? start() : undefined);
      if (worker) next(worker);
    });
}

let copy;

/** At most this many copying threads: the landing sync sends 8 copies at a time, and each thread holds an engine of its own. */
const COPY_THREADS = 4;

/**
 * Copies `path` into `bucket` as `key` through `store`, as one step on that object (`whole`) and
 * inside `write` (the metadata cache's write); tells `send` the bytes copied as it goes, then the
 * ETag or the error.
 */
export async function copyIn(store, whole, write, { id, bucket, key, path, lastModified }, send) {
  copy ??= copyThreads(Math.min(COPY_THREADS, availableParallelism()));
  try {
    const md5 = await whole(bucket, key, () =>
      write(async () => {
        const objectPath = store.getResourcePath(bucket, key, 'object');
        const written = await writeObjectFile(objectPath, (writing) => copy(path, writing, (bytes) => send({ id, bytes })));
        await store.putMetadata(bucket, key, new S3Object(bucket, key, null, {}).metadata, written.md5);
        // The object is written and closed: the time set here is the last one it gets.
        if (lastModified !== undefined) await utimes(objectPath, new Date(lastModified), new Date(lastModified));
        return written.md5;
      }),
    );
    send({ id, etag: md5 });
  } catch (error) {
    send({ id, error: String(error?.message ?? error) });
  }
}
