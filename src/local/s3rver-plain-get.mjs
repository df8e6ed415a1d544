// The common read of the local S3, a plain GET of a whole object (the engine's url() of a presigned
// URL, or an unsigned GET), served without s3rver's route: that reads the bucket's CORS and website
// settings from disk and checks the bucket and then the object, in about twice the CPU of the
// whole read. Anything else (a range, a condition other than If-Match, a sub-resource, a response
// override, a header signature, a URL out of date or of an unknown key, a missing object) goes
// on to s3rver, which answers as before. The buckets hold no CORS or website settings (the
// process creates them without); a request that sets either turns this path off.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
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
      // Node's 64 KiB chunks: a 1 MiB buffer for each GET of a small object cost the local S3 more
      // than twice the garbage collection (2.6 s against 1.0 s over a first run of 1,000 files).
      const bytes = createReadStream(store.getResourcePath(object.bucket, object.key, 'object'));
      try {
        await once(bytes, 'open');
      } catch {
        bytes.destroy();
        return undefined;
      }
      return { metadata, bytes };
    });
    if (!opened) return next();
    const { metadata, bytes } = opened;
    // The headers s3rver's GetObject sets.
    ctx.set('Accept-Ranges', 'bytes');
    for (const [header, value] of Object.entries(metadata)) ctx.set(capitalizeHeader(header), value);
    ctx.length = Number(metadata['content-length']);
    ctx.status = 200;
    ctx.body = bytes;
  };
}

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
