// Runs s3rver in its own process. In the same process as chDB, s3() reads and s3rver's file
// I/O compete for libuv's thread pool and can deadlock; apart, they cannot.
import { createRequire } from 'node:module';
import S3rver from 's3rver';
import { copyIn } from './s3rver-copy.mjs';
import { cacheMetadata } from './s3rver-metadata.mjs';
import { describe, listKeys } from './s3rver-list.mjs';
import { plainGet } from './s3rver-plain-get.mjs';
import { wholeObjects } from './s3rver-whole-objects.mjs';

const S3Object = createRequire(import.meta.url)('s3rver/lib/models/object');

// The first bucket is the landing bucket, whose reads are reported as progress.
const [directory, bucket, ...others] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [bucket, ...others].map((name) => ({ name })) });

const unquote = (etag) => String(etag ?? '').replace(/^W\//, '').replaceAll('"', '').trim();

// s3rver ignores If-Match; S3 answers 412 Precondition Failed when the object's ETag is not the
// one asked for. onceload pins every read of a file to its planned version that way, so the
// local S3 must behave as S3 does. Koa composes its middleware when it starts listening, so
// this one, placed first, wraps every request.
server.middleware.unshift(async (ctx, next) => {
  const wanted = ctx.get('if-match');
  await next();
  if (!wanted || (ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.status >= 300) return;
  const actual = unquote(ctx.response.get('ETag'));
  const ok = wanted.split(',').some((w) => w.trim() === '*' || unquote(w) === actual);
  if (ok) return;
  if (ctx.body && typeof ctx.body.destroy === 'function') ctx.body.destroy();
  ctx.status = 412;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-Match</Condition></Error>`;
});

// Progress: the bytes and lines of each object GET as they are sent, whoever reads them
// (chDB's or a server's url(), the streamed Load), told to the parent a few times a second.
// The engine's own progress is out of reach: chDB runs one query at a time. The counting listens
// beside the response: a stream stage of its own cost more CPU than serving the object.
let reads = 0;
const lineCount = (bytes) => {
  let lines = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
  return lines;
};
server.middleware.unshift(async (ctx, next) => {
  await next();
  const body = ctx.body;
  if (ctx.method !== 'GET' || ctx.status >= 300 || !body) return;
  const prefix = `/${bucket}/`;
  const path = decodeURIComponent(ctx.path);
  if (!path.startsWith(prefix) || ctx.querystring.includes('list-type')) return;
  const read = { key: path.slice(prefix.length), read: ++reads, bytes: 0, lines: 0, done: false };
  // Told as it goes a few times a second, from its first bytes when it is large.
  let sent = Number(ctx.response.length) > 1 << 20 ? 0 : Date.now();
  const tell = () => {
    sent = Date.now();
    if (process.connected) process.send({ read });
  };
  // An object read whole (s3rver-plain-get.mjs) is sent in one write: told once.
  if (Buffer.isBuffer(body)) {
    Object.assign(read, { bytes: body.length, lines: lineCount(body), done: true });
    return tell();
  }
  if (typeof body.on !== 'function') return;
  body.on('data', (chunk) => {
    read.bytes += chunk.length;
    read.lines += lineCount(chunk);
    if (Date.now() - sent >= 200) tell();
  });
  body.on('end', () => {
    read.done = true;
    tell();
  });
});

// Listings read the store's files directly (s3rver-list.mjs). s3rver's delimiter listing also
// misses a folder holding only folders (it never walks below one), where S3 lists it as a common
// prefix: the whole prefix's keys are listed and grouped as S3 does.
const store = server.store;
server.store.listObjects = async (name, options = {}) => {
  const { delimiter = '', prefix = '', startAfter = '', maxKeys = Infinity } = options;
  const commonPrefixes = new Set();
  const objects = [];
  let isTruncated = false;
  for (const found of listKeys(store, name, prefix)) {
    if (found.key <= startAfter) continue;
    const idx = delimiter ? found.key.slice(prefix.length).indexOf(delimiter) : -1;
    if (idx !== -1) {
      commonPrefixes.add(found.key.slice(0, prefix.length + idx + delimiter.length));
      continue;
    }
    // A page ends at `maxKeys` objects; one grouped by a delimiter is always whole, as before.
    if (!delimiter && objects.length >= maxKeys) {
      isTruncated = true;
      break;
    }
    // Only the objects listed directly are read: a folder's keys alone make its common prefix.
    const listed = await describe(store, name, found);
    if (!listed) continue;
    const metadata = { etag: JSON.stringify(listed.etag), 'last-modified': listed.mtime.toUTCString(), 'content-length': listed.size };
    objects.push(new S3Object(name, listed.key, null, metadata));
  }
  return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
};

// Each object read and written whole, then the metadata cache on top of those methods (every
// write, the whole-object PutObject included, empties it), the plain GET (inside the If-Match and
// progress layers above, before s3rver's own) and the landing sync's copies.
const whole = wholeObjects(store);
const write = cacheMetadata(store);
server.middleware.splice(2, 0, plainGet(store, whole, [bucket, ...others]));
process.on('message', (message) => {
  if (message?.put) void copyIn(store, whole, write, message.put, (put) => process.send?.({ put }));
  if (message?.list) void listAll(message.list);
});

/** The landing sync's listing: every object of a bucket, its ETag and size. */
async function listAll({ id, bucket: name }) {
  try {
    const objects = [];
    for (const found of listKeys(store, name)) {
      const listed = found.key.endsWith('/') ? undefined : await describe(store, name, found);
      if (listed) objects.push({ key: listed.key, etag: listed.etag, size: listed.size });
    }
    process.send?.({ list: { id, objects } });
  } catch (error) {
    process.send?.({ list: { id, error: String(error?.message ?? error) } });
  }
}

const { port } = await server.run();
process.send?.({ port });
// Leave with the parent, even when it was killed without a chance to stop us.
process.on('disconnect', () => process.exit(0));
