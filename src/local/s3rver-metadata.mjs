// What each object's metadata files hold (its ETag and stored headers), kept between writes, for
// the local S3's process: s3rver reads two files and stats a third on every GET, HEAD and listed
// object. Every write of the store goes through that process, and any write empties the cache.
// An object's size and time are read from the object itself each time (the parent stamps a
// landed file's time on it).
import { stat } from 'node:fs/promises';

const WRITES = ['putObject', 'putMetadata', 'copyObject', 'deleteObject', 'putObjectMultipart', 'deleteBucket'];

/**
 * Puts the cache in front of `store.getMetadata`; returns `write(fn)`, which runs a write made
 * outside the store's own methods (its files written directly) as one of them.
 */
export function cacheMetadata(store) {
  const kept = new Map();
  let writes = 0;
  let underWay = 0;
  const write = async (fn) => {
    underWay++;
    writes++;
    kept.clear();
    try {
      return await fn();
    } finally {
      underWay--;
      writes++;
      kept.clear();
    }
  };
  for (const name of WRITES) {
    const method = store[name].bind(store);
    store[name] = (...args) => write(() => method(...args));
  }
  const read = store.getMetadata.bind(store);
  store.getMetadata = async (bucket, key) => {
    const path = store.getResourcePath(bucket, key, 'object');
    const stored = kept.get(path);
    if (stored) {
      // Throws ENOENT for an object no longer there, as s3rver's own read does.
      const { mtime, size } = await stat(path);
      return { ...stored, 'last-modified': mtime.toUTCString(), 'content-length': size };
    }
    const writesBefore = writes;
    const metadata = await read(bucket, key);
    // Kept only when no write began or ended meanwhile.
    if (underWay === 0 && writes === writesBefore) kept.set(path, { ...metadata });
    return metadata;
  };
  return write;
}
