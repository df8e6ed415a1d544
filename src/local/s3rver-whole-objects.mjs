// Every read of the local S3 sees one version of an object whole, as on S3. s3rver keeps an object
// in three files (its bytes, their MD5 and its metadata) and rewrites them in place, one after the
// other: a GET during an overwrite could pair the old ETag with some of the new bytes, or lose
// bytes it was sending, and a read pinned with If-Match to the old version would pass. Here, per
// object, no read takes its metadata and opens its bytes while a write of it is under way, and no
// write changes bytes a reader has opened: new bytes go to a new file, renamed into place.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

let files = 0;
const beside = (path, what) => `${path}.${what}-${process.pid}-${++files}`;

/**
 * Writes `source` (a stream, a Buffer, or a function opening a stream once the directory is
 * there) as an object's bytes: to a new file, closed, then renamed over `objectPath`. Calls
 * `onBytes` with the bytes written so far; returns their size and MD5.
 */
export async function writeObjectBytes(source, objectPath, onBytes = () => undefined) {
  await mkdir(dirname(objectPath), { recursive: true });
  if (typeof source === 'function') source = source();
  const writing = beside(objectPath, 'writing');
  const hash = createHash('md5');
  let size = 0;
  const counted = new Transform({
    transform(chunk, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      onBytes(size);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Buffer.isBuffer(source) ? Readable.from([source]) : source, counted, createWriteStream(writing));
    await rename(writing, objectPath);
  } catch (error) {
    await unlink(writing).catch(() => undefined);
    throw error;
  }
  return { size, md5: hash.digest('hex') };
}

/**
 * Guards `store`'s object methods (before the metadata cache is put on top); returns `whole(bucket,
 * key, fn)`, which runs `fn` as one step on that object: a write made outside the store's methods
 * (the landing copies), or a read of its metadata and the opening of its bytes (the plain GET).
 */
export function wholeObjects(store) {
  const turns = new Map();
  // The objects whose turn the current call holds: a guarded method calling another on the same
  // object (getObject reads the metadata, copyObject writes it) runs within that turn.
  const holding = new AsyncLocalStorage();
  const whole = async (bucket, key, fn) => {
    const path = store.getResourcePath(bucket, key, 'object');
    const held = holding.getStore();
    if (held?.has(path)) return fn();
    const before = turns.get(path) ?? Promise.resolve();
    let done;
    const mine = before.then(() => new Promise((resolve) => (done = resolve)));
    turns.set(path, mine);
    await before;
    try {
      return await holding.run(new Set([...(held ?? []), path]), fn);
    } finally {
      done();
      if (turns.get(path) === mine) turns.delete(path);
    }
  };
  // Several objects' turns at once, always taken in the order of their paths, so two steps
  // needing the same two objects never each hold one and wait for the other.
  const together = (objects, fn) => {
    const byPath = new Map(objects.map(([bucket, key]) => [store.getResourcePath(bucket, key, 'object'), [bucket, key]]));
    return [...byPath.keys()].sort().reduceRight((inner, path) => () => whole(...byPath.get(path), inner), fn)();
  };
  const guard = (name, objectOf) => {
    const method = store[name].bind(store);
    store[name] = async (...args) => {
      const [bucket, key] = await objectOf(...args);
      return whole(bucket, key, () => method(...args));
    };
  };
  guard('getMetadata', (bucket, key) => [bucket, key]);
  // Whether the object is there, asked before a copy from it or a delete of it: never while a
  // copy onto it has moved its bytes aside (below), or a delete would answer done and do nothing.
  guard('existsObject', (bucket, key) => [bucket, key]);
  // getObject returns once its bytes are open (s3rver waits for the stream's open).
  guard('getObject', (bucket, key) => [bucket, key]);
  guard('putMetadata', (bucket, key) => [bucket, key]);
  guard('deleteObject', (bucket, key) => [bucket, key]);
  // s3rver's PutObject writes the bytes in place and answers before they are all written.
  const putMetadata = store.putMetadata;
  const putObject = (object) =>
    whole(object.bucket, object.key, async () => {
      const written = await writeObjectBytes(object.content, store.getResourcePath(object.bucket, object.key, 'object'));
      await putMetadata(object.bucket, object.key, object.metadata, written.md5);
      return written;
    });
  store.putObject = putObject;
  // CopyObject and CompleteMultipartUpload write the bytes in place: the file a reader may have
  // open is moved aside first (and back, if the write fails), so the write makes a new one. A
  // copy reads its source's bytes and then its MD5 file, so it takes the source's turn too: no
  // write of the source comes between them.
  const aside = (name, objectOf) => {
    const method = store[name].bind(store);
    store[name] = async (...args) => {
      const [bucket, key, bytes = true, source] = await objectOf(...args);
      if (!bytes) return whole(bucket, key, () => method(...args));
      const objectPath = store.getResourcePath(bucket, key, 'object');
      return together([[bucket, key], ...(source ? [source] : [])], async () => {
        const moved = beside(objectPath, 'replaced');
        const had = await rename(objectPath, moved).then(
          () => true,
          (error) => {
            if (error.code === 'ENOENT') return false;
            throw error;
          },
        );
        try {
          const out = await method(...args);
          if (had) await unlink(moved);
          return out;
        } catch (error) {
          if (had) await rename(moved, objectPath);
          throw error;
        }
      });
    };
  };
  // A copy onto itself replaces only the metadata.
  aside('copyObject', (srcBucket, srcKey, destBucket, destKey) => [destBucket, destKey, srcBucket !== destBucket || srcKey !== destKey, [srcBucket, srcKey]]);
  aside('putObjectMultipart', async (bucket, uploadId) => [bucket, (await readFile(join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId, 'key'))).toString()]);
  return whole;
}
