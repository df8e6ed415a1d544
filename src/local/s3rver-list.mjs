// Listings of the local S3, read from its files directly: each object's size and time from the
// object and its ETag from the MD5 file s3rver keeps beside it. s3rver's own listing reads every
// listed object's metadata as well, three file operations an object through the thread pool: for
// a bucket of a thousand objects that was most of a no-op run's landing sync and of its Plans'
// listings. A listing shows no stored headers, so none are read.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const OBJECT = '._S3rver_object';

/** The keys of `bucket` in `store` (s3rver's FilesystemStore) that start with `prefix`, sorted, with their objects' paths. */
export function listKeys(store, bucket, prefix = '') {
  const root = store.getBucketPath(bucket);
  // Only the folder the prefix reaches down to is walked (keys are paths in the store).
  const start = join(root, store.constructor.encodeKeyPath(prefix.slice(0, prefix.lastIndexOf('/') + 1)));
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(OBJECT)) found.push(path);
    }
  };
  if (existsSync(start)) walk(start);
  return found
    .map((path) => ({ key: store.constructor.decodeKeyPath(relative(root, path).slice(0, -OBJECT.length).split(sep).join('/')), path }))
    .filter(({ key }) => key.startsWith(prefix))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A listed key's ETag, size and time; undefined when its object was deleted meanwhile. */
export async function describe(store, bucket, { key, path }) {
  try {
    const { size, mtime } = statSync(path);
    return { key, etag: readFileSync(`${path}.md5`, 'utf8'), size, mtime };
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    // Deleted meanwhile (left out, as s3rver's listing does), or no MD5 file yet (s3rver makes it).
    const metadata = await store.getMetadata(bucket, key).catch((e) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    return metadata && { key, etag: JSON.parse(metadata.etag), size: Number(metadata['content-length']), mtime: new Date(metadata['last-modified']) };
  }
}
