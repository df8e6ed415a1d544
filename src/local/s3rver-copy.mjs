// The landing sync's copies into the local S3: the parent names a file and this process writes it
// as an object, as s3rver's PutObject does (the same files: object, MD5 and metadata), without
// sending the bytes through HTTP and the SDK's signing on both sides. A new object takes its
// file's modification time as its LastModified.
import { createReadStream } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { writeObjectBytes } from './s3rver-whole-objects.mjs';

const S3Object = createRequire(import.meta.url)('s3rver/lib/models/object');

/**
 * Copies `path` into `bucket` as `key` through `store`, as one step on that object (`whole`) and
 * inside `write` (the metadata cache's write); tells `send` the bytes copied as it goes, then the
 * ETag or the error.
 */
export async function copyIn(store, whole, write, { id, bucket, key, path, lastModified }, send) {
  try {
    const md5 = await whole(bucket, key, () =>
      write(async () => {
        const objectPath = store.getResourcePath(bucket, key, 'object');
        // Told at the first chunk and then a few times a second: a large file's copy shows progress.
        let told = 0;
        const written = await writeObjectBytes(() => createReadStream(path), objectPath, (bytes) => {
          if (Date.now() - told < 200) return;
          told = Date.now();
          send({ id, bytes });
        });
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
