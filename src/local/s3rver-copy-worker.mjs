// A thread of the local S3's process that copies landed files: it reads a file once, writing its
// bytes and hashing them as it goes, so the object's MD5 is always that of the bytes written. The
// process's own thread serves every request; copies on it held up the whole landing sync.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

const CHUNK = 1 << 20;
const buffer = Buffer.allocUnsafe(CHUNK);

parentPort.on('message', ({ id, from, to }) => {
  let source;
  let target;
  try {
    source = openSync(from, 'r');
    // A new file of its own (see writeObjectFile): never one a reader has open.
    target = openSync(to, 'wx');
    const hash = createHash('md5');
    let size = 0;
    let told = 0;
    for (let n; (n = readSync(source, buffer, 0, CHUNK, null)) > 0; ) {
      for (let at = 0; at < n; ) at += writeSync(target, buffer, at, n - at);
      hash.update(buffer.subarray(0, n));
      size += n;
      // A large file's copy shows progress a few times a second.
      if (Date.now() - told >= 200) {
        told = Date.now();
        parentPort.postMessage({ id, bytes: size });
      }
    }
    closeSync(target);
    target = undefined;
    parentPort.postMessage({ id, size, md5: hash.digest('hex') });
  } catch (error) {
    if (target !== undefined) closeSync(target);
    parentPort.postMessage({ id, error: { code: error?.code, message: String(error?.message ?? error) } });
  } finally {
    if (source !== undefined) closeSync(source);
  }
});
