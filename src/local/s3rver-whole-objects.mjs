// Every read of the local S3 sees one version of an object whole, as on S3. s3rver keeps an object
// in three files (its bytes, their MD5 and its metadata) and rewrites them in place, one after the
// other: a GET during an overwrite could pair the old ETag with some of the new bytes, or lose
// bytes it was sending, and a read pinned with If-Match to the old version would pass. Here, per
// object, no read takes its metadata and opens its bytes while a write of it is under way, and no
// write changes bytes a reader has opened: new bytes go to a new file, renamed into place.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const S3Error = createRequire(import.meta.url)('s3rver/lib/models/error');

let files = 0;
const beside = (path, what) => `${path}.${what}-${process.pid}-${++files}`;

/** A source deleted since the copy's request was checked: S3's answer, not an internal error. */
const noSuchKey = (key) => (error) => {
  if (error?.code !== 'ENOENT') throw error;
  throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
};

/**
 * Writes an object's bytes as `write(path)` writes them to a new file, then renames that file over
 * `objectPath` once it is closed; `write` answers their size and MD5.
 */
export async function writeObjectFile(objectPath, write) {
  await mkdir(dirname(objectPath), { recursive: true });
  const writing = beside(objectPath, 'writing');
  try {
    const written = await write(writing);
    await rename(writing, objectPath);
    return written;
  } catch (error) {
    await unlink(writing).catch(() => undefined);
    throw error;
  }
}

/**
 * Writes `source` (a stream, a Buffer, or a function opening a stream once the directory is
 * there) as an object's bytes (see writeObjectFile). Calls `onBytes` with the bytes written so
 * far; returns their size and MD5.
 */
export function writeObjectBytes(source, objectPath, onBytes = () => undefined) {
  return writeObjectFile(objectPath, async (writing) => {
    if (typeof source === 'function') source = source();
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
    await pipeline(Buffer.isBuffer(source) ? Readable.from([source]) : source, counted, createWriteStream(writing));
    return { size, md5: hash.digest('hex') };
  });
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
  // Whether the object is there (asked before a copy from it or a delete of it): never between a
  // write's bytes and its metadata.
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
  // s3rver's CopyObject copies the bytes in place, then the MD5 file: a reader could see the new
  // bytes under the old ETag, and while the copy runs a listing would miss the key. Here a copy
  // holds its source's turn and its destination's, and writes new bytes renamed into place, as
  // PutObject does. (CompleteMultipartUpload writes through putObject above.)
  store.copyObject = (srcBucket, srcKey, destBucket, destKey, replacementMetadata) =>
    together([[destBucket, destKey], [srcBucket, srcKey]], async () => {
      const sourcePath = store.getResourcePath(srcBucket, srcKey, 'object');
      // A copy onto itself replaces only the metadata.
      if (sourcePath === store.getResourcePath(destBucket, destKey, 'object')) {
        if (replacementMetadata) await store.putMetadata(destBucket, destKey, replacementMetadata);
        return store.getMetadata(destBucket, destKey);
      }
      // Read within the source's turn: the bytes and the metadata of one version.
      const metadata = replacementMetadata ?? (await store.getMetadata(srcBucket, srcKey).catch(noSuchKey(srcKey)));
      await putObject({ bucket: destBucket, key: destKey, content: () => createReadStream(sourcePath), metadata }).catch(noSuchKey(srcKey));
      return store.getMetadata(destBucket, destKey);
    });
  return whole;
}
