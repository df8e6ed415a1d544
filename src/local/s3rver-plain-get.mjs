// The common read of the local S3, a plain GET of a whole object (the engine's url() of a presigned
// URL, or an unsigned GET), served without s3rver's route: that reads the bucket's CORS and website
// settings from disk and checks the bucket and then the object, in about twice the CPU of the
// whole read. Anything else (a range, a condition other than If-Match, a sub-resource, a response
// override, a header signature, a URL out of date or of an unknown key, a missing object) goes
// on to s3rver, which answers as before. The buckets hold no CORS or website settings (the
// process creates them without); a request that sets either turns this path off.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AWSAccount = require('s3rver/lib/models/account');
const { capitalizeHeader, parseISO8601String } = require('s3rver/lib/utils');

/**
 * A Koa middleware serving plain GETs of objects in `buckets` from `store`; `whole` (see
 * s3rver-whole-objects.mjs) pairs the metadata with the bytes opened.
 */
export function plainGet(store, whole, buckets) {
  const served = new Set(buckets);
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && (ctx.querystring.includes('cors') || ctx.querystring.includes('website'))) served.clear();
    const object = ctx.method === 'GET' && plainObjectRead(ctx, served);
    if (!object) return next();
    const opened = await whole(object.bucket, object.key, async () => {
      const metadata = await store.getMetadata(object.bucket, object.key).catch(() => undefined);
      if (!metadata) return undefined;
      // Opened within the object's turn: a later overwrite renames new bytes over the name, and
      // this handle keeps reading the version whose metadata was read.
      const file = await open(store.getResourcePath(object.bucket, object.key, 'object')).catch(() => undefined);
      return file && { metadata, file };
    });
    if (!opened) return next();
    const { metadata, file } = opened;
    const size = Number(metadata['content-length']);
    // The headers s3rver's GetObject sets.
    ctx.set('Accept-Ranges', 'bytes');
    for (const [header, value] of Object.entries(metadata)) ctx.set(capitalizeHeader(header), value);
    ctx.length = size;
    ctx.status = 200;
    const buffer = size <= WHOLE_READ_BYTES ? buffers.pop() : undefined;
    if (!buffer) {
      // Node's 64 KiB chunks: a 1 MiB buffer for each GET of a small object cost the local S3 more
      // than twice the garbage collection (2.6 s against 1.0 s over a first run of 1,000 files).
      ctx.body = createReadStream('', { fd: file });
      return;
    }
    // An object of a landed file's usual size is read in one call into a buffer kept for reuse,
    // and sent in one write: streamed in chunks, a first run's GETs spent about a second of this
    // process's CPU in garbage collection and as much in the stream's own steps.
    let read = 0;
    try {
      for (let n = -1; read < size && n !== 0; read += n) n = (await file.read(buffer, read, size - read, read)).bytesRead;
    } catch (error) {
      buffers.push(buffer);
      throw error;
    } finally {
      await file.close();
    }
    // Given back once the response is done with it (sent, or cut short).
    ctx.res.once('close', () => buffers.push(buffer));
    ctx.body = buffer.subarray(0, read);
  };
}

/** Objects up to this size are read whole into a kept buffer; larger ones are streamed. */
const WHOLE_READ_BYTES = 1 << 20;

/** The kept buffers: as many GETs at once as the engine makes, with room to spare. */
const buffers = Array.from({ length: 16 }, () => Buffer.allocUnsafeSlow(WHOLE_READ_BYTES));

/** The bucket and key of a GET this path may serve, or undefined. */
function plainObjectRead(ctx, buckets) {
  const headers = ctx.headers;
  if (headers.range || headers.authorization || headers['if-none-match'] || headers['if-modified-since'] || headers['if-unmodified-since']) return undefined;
  const query = ctx.query;
  const names = Object.keys(query);
  // The SDK's presigner adds x-id (the operation), which S3 ignores.
  if (names.some((name) => !name.startsWith('X-Amz-') && name !== 'x-id')) return undefined;
  if (names.some((name) => name.startsWith('X-Amz-')) && !presignedAndCurrent(query)) return undefined;
  const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
  if (!match || !buckets.has(match[1])) return undefined;
  let key;
  try {
    key = decodeURIComponent(match[2]);
  } catch {
    return undefined;
  }
  if (key.endsWith('/')) return undefined;
  return { bucket: match[1], key };
}

/** A presigned (V4) URL of a known access key, not yet expired: what s3rver itself checks of one. */
function presignedAndCurrent(query) {
  const { 'X-Amz-Algorithm': algorithm, 'X-Amz-Credential': credential, 'X-Amz-Signature': signature, 'X-Amz-Date': date, 'X-Amz-SignedHeaders': signed, 'X-Amz-Expires': expires } = query;
  if ([algorithm, credential, signature, date, signed, expires].some((v) => typeof v !== 'string')) return false;
  if (!AWSAccount.registry.get(credential.split('/')[0])) return false;
  const at = Number(parseISO8601String(date));
  const seconds = Number(expires);
  if (Number.isNaN(at) || !(seconds >= 0 && seconds <= 604800)) return false;
  return Date.now() <= at + seconds * 1000;
}
