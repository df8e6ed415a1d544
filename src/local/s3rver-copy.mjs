// The landing sync's copies into the local S3: the parent names a file and this process writes it
// as an object, as s3rver's PutObject does (the same files: object, MD5 and metadata), without
// sending the bytes through HTTP and the SDK's signing on both sides. A new object takes its
// file's modification time as its LastModified.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const S3Object = createRequire(import.meta.url)('s3rver/lib/models/object');

/**
 * Copies `path` into `bucket` as `key` through `store`, inside `write` (the metadata cache's
 * write); tells `send` the bytes copied as it goes, then the ETag or the error.
 */
export async function copyIn(store, write, { id, bucket, key, path, lastModified }, send) {
  try {
    const md5 = await write(async () => {
      const objectPath = store.getResourcePath(bucket, key, 'object');
      await mkdir(dirname(objectPath), { recursive: true });
      const hash = createHash('md5');
      // Told at the first chunk and then a few times a second: a large file's copy shows progress.
      let bytes = 0;
      let told = 0;
      const hashed = new Transform({
        transform(chunk, _encoding, callback) {
          hash.update(chunk);
          bytes += chunk.length;
          if (Date.now() - told >= 200) {
            told = Date.now();
            send({ id, bytes });
          }
          callback(null, chunk);
        },
      });
      // Unlike the store's own PutObject, this waits until the object is written and closed, so
      // the time set below is the last one it gets.
      await pipeline(createReadStream(path), hashed, createWriteStream(objectPath));
      const etag = hash.digest('hex');
      await store.putMetadata(bucket, key, new S3Object(bucket, key, null, {}).metadata, etag);
      if (lastModified !== undefined) await utimes(objectPath, new Date(lastModified), new Date(lastModified));
      return etag;
    });
    send({ id, etag: md5 });
  } catch (error) {
    send({ id, error: String(error?.message ?? error) });
  }
}
