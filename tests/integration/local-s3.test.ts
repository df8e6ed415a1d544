import { CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startStores, type RunningStores } from '../../src/local/stores.js';

// The local S3 serves a plain GET of a whole object itself and copies landed files through its
// own store: whatever it answers must be what s3rver's own routes (and S3) answer.
const BUCKET = 'landing';
let dir: string;
let stores: RunningStores;
let s3: S3Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'onceload-local-s3-'));
  stores = await startStores(dir, { tenantsTable: 'tenants', ledgerTable: 'ledger', idempotencyTable: 'idempotency', arrivalsTable: 'arrivals', landingBucket: BUCKET, runsBucket: 'runs' });
  // As the pipeline's client (src/adapters/aws/clients.ts): its presigned URLs carry X-Amz-* only.
  s3 = new S3Client({
    endpoint: stores.s3Endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  await stores?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const presigned = (key: string, options: { expiresIn?: number; signingDate?: Date } = {}) => getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 60, ...options });
const file = (name: string, text: string, mtime?: Date) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  if (mtime) utimesSync(path, mtime, mtime);
  return path;
};

// Objects of a few MiB, written in many chunks: a step during a write sees the old object or the new one.
const version = (n: number) => Array.from({ length: 60_000 }, (_, i) => `{"id":${i},"v":${n}}`).join('\n') + '\n';

/**
 * Runs `step` over and over in three workers at once while `key` is overwritten twelve times,
 * by PutObject and by landing copies in turns; returns how many steps ran and what they found wrong.
 */
async function whileOverwritten(key: string, step: (worker: number, wrong: string[]) => Promise<void>): Promise<{ steps: number; wrong: string[] }> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: version(0) }));
  const wrong: string[] = [];
  let steps = 0;
  let writing = true;
  const workers = Promise.all(
    [1, 2, 3].map(async (worker) => {
      while (writing) {
        await step(worker, wrong);
        steps++;
      }
    }),
  );
  for (let n = 1; n <= 12; n++) {
    if (n % 2 === 0) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: version(n) }));
    else await stores.putFile(BUCKET, key, file(`${key.replaceAll('/', '-')}-${n}`, version(n)));
  }
  writing = false;
  await workers;
  return { steps, wrong };
}

describe('the local S3', () => {
  it('stores a copied file as PutObject does: its MD5 as ETag, its bytes, and a new object takes the file time', async () => {
    const at = new Date('2026-03-04T05:06:07Z');
    const text = '{"id":1}\n{"id":2}\n';
    const etag = await stores.putFile(BUCKET, 'a/b/copied.jsonl', file('copied.jsonl', text, at), at);
    expect(etag).toBe(md5(text));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a/b/copied.jsonl' }));
    expect(await got.Body!.transformToString()).toBe(text);
    expect(got.ETag).toBe(`"${md5(text)}"`);
    expect(got.LastModified?.toISOString()).toBe(at.toISOString());
    // An overwrite without a time keeps the copy's own.
    const again = await stores.putFile(BUCKET, 'a/b/copied.jsonl', file('copied.jsonl', `${text}{"id":3}\n`, at));
    expect(again).toBe(md5(`${text}{"id":3}\n`));
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'a/b/copied.jsonl' }));
    expect(head.ETag).toBe(`"${again}"`);
    expect(head.LastModified!.getTime()).toBeGreaterThan(at.getTime());
    await expect(stores.putFile(BUCKET, 'missing.jsonl', join(dir, 'no-such-file'))).rejects.toThrow(/could not store the file.*ENOENT/);
  });

  it('answers a presigned GET with the headers a HEAD gives, the object as it is now after every write, and If-Match as S3 does', async () => {
    const key = 'tenant/canonical/companies/x.jsonl';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'first\n' }));
    const read = async (headers: Record<string, string> = {}) => fetch(await presigned(key), { headers });
    const first = await read();
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('first\n');
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(first.headers.get('etag')).toBe(head.ETag);
    expect(first.headers.get('content-length')).toBe('6');
    expect(first.headers.get('content-type')).toBe(head.ContentType);
    expect(new Date(first.headers.get('last-modified')!).getTime()).toBe(head.LastModified!.getTime());

    // Overwritten through the API: the next read sees the new bytes and ETag, never what was kept.
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'second, longer\n' }));
    const second = await read();
    expect(await second.text()).toBe('second, longer\n');
    expect(second.headers.get('etag')).toBe(`"${md5('second, longer\n')}"`);
    // Overwritten by a copy of a file: likewise.
    await stores.putFile(BUCKET, key, file('third.jsonl', 'third\n'));
    expect(await (await read()).text()).toBe('third\n');

    const stale = await read({ 'If-Match': `"${md5('first\n')}"` });
    expect(stale.status).toBe(412);
    expect(await stale.text()).toContain('<Code>PreconditionFailed</Code>');
    const current = await read({ 'If-Match': `"${md5('third\n')}"` });
    expect(current.status).toBe(200);
    expect(await current.text()).toBe('third\n');

    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const gone = await read();
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain('<Code>NoSuchKey</Code>');
  });

  it('leaves ranges and expired or unknown signatures to s3rver, which answers them as S3 does', async () => {
    const key = 'tenant/canonical/companies/range.jsonl';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '0123456789abcdef' }));
    const range = await fetch(await presigned(key), { headers: { Range: 'bytes=2-5' } });
    expect(range.status).toBe(206);
    expect(await range.text()).toBe('2345');

    const expired = await fetch(await presigned(key, { expiresIn: 1, signingDate: new Date(Date.now() - 3_600_000) }));
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');

    const unknownKey = (await presigned(key)).replace(/X-Amz-Credential=S3RVER/, 'X-Amz-Credential=NOBODY');
    const refused = await fetch(unknownKey);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('<Code>InvalidAccessKeyId</Code>');
  });
  it('never pairs one version\'s ETag with another\'s bytes while the object is overwritten, through the API or a landing copy', async () => {
    const key = 'racing/object.jsonl';
    // Each step a presigned GET (the engine's) and the SDK's GetObject.
    const { steps, wrong } = await whileOverwritten(key, async (_worker, wrong) => {
      const url = await presigned(key);
      for (const get of [() => fetch(url), () => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))]) {
        try {
          const answer = await get();
          const [etag, body] = answer instanceof Response ? [answer.headers.get('etag'), await answer.text()] : [answer.ETag, await answer.Body!.transformToString()];
          if (`"${md5(body)}"` !== etag) wrong.push(`ETag ${etag}, ${body.length} bytes`);
        } catch (error) {
          // S3 finishes a read begun before an overwrite with the bytes it began with.
          wrong.push(`read cut short: ${(error as Error).message}`);
        }
      }
    });
    expect(steps).toBeGreaterThanOrEqual(6);
    expect(wrong).toEqual([]);
  });

  it('sends each of many GETs at once its own object whole, readers slow or quick, read whole or streamed', async () => {
    // Objects of a landed file's usual size are read into kept buffers, more GETs at once than
    // there are buffers, some readers too slow to take a response in one write; and a few larger
    // objects, which are streamed.
    const keys = Array.from({ length: 40 }, (_, i) => `many/object-${i}.jsonl`);
    const content = (i: number) => Array.from({ length: i % 8 === 7 ? 90_000 : 8_000 + i * 500 }, (_, n) => `{"id":${n},"object":${i}}`).join('\n');
    await Promise.all(keys.map((key, i) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: content(i) }))));
    const wrong: string[] = [];
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        keys.map(async (key, i) => {
          const answer = await fetch(await presigned(key));
          if (i % 2 === round % 2) await new Promise((resolve) => setTimeout(resolve, 150));
          const body = await answer.text();
          if (body !== content(i) || answer.headers.get('etag') !== `"${md5(body)}"`) wrong.push(`${key}: ${body.length} bytes, ETag ${answer.headers.get('etag')}`);
        }),
      );
    }
    expect(wrong).toEqual([]);
  });

  it('copies an object whole: no copy pairs one version\'s ETag with another\'s bytes while its source is overwritten', async () => {
    const source = 'copying/source.jsonl';
    // Each step copies the source onto a key of the worker's own, then reads the copy back.
    const { steps, wrong } = await whileOverwritten(source, async (worker, wrong) => {
      const copy = `copying/copy-${worker}.jsonl`;
      const copied = await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: copy, CopySource: `${BUCKET}/${source}` }));
      const read = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: copy }));
      const body = await read.Body!.transformToString();
      if (`"${md5(body)}"` !== read.ETag || read.ETag !== copied.CopyObjectResult?.ETag) wrong.push(`copy ETag ${copied.CopyObjectResult?.ETag}, read ETag ${read.ETag}, bytes' MD5 ${md5(body)}`);
    });
    expect(steps).toBeGreaterThanOrEqual(12);
    expect(wrong).toEqual([]);
  });

  it('lists objects as S3 does from its own files: keys in order, ETags, sizes and times, pages of max-keys, folders of folders as common prefixes; the landing sync\'s listing agrees', async () => {
    const texts: Record<string, string> = { 'pages/a/x/1.jsonl': '{"id":1}\n', 'pages/a/y/2.jsonl': '{"id":22}\n', 'pages/b.jsonl': 'b', 'pages/c d.jsonl': 'cc', 'pagesx.jsonl': 'no' };
    for (const [key, text] of Object.entries(texts)) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: text }));
    const keys = Object.keys(texts).filter((k) => k.startsWith('pages/')).sort();
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'pages/', MaxKeys: 3, ContinuationToken: token }));
      pages.push((page.Contents ?? []).map((o) => o.Key!));
      for (const o of page.Contents ?? []) {
        expect([o.ETag, o.Size]).toEqual([`"${md5(texts[o.Key!]!)}"`, texts[o.Key!]!.length]);
        expect(Math.abs(o.LastModified!.getTime() - Date.now())).toBeLessThan(60_000);
      }
      token = page.NextContinuationToken;
    } while (token);
    expect(pages).toEqual([keys.slice(0, 3), keys.slice(3)]);
    const folders = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'pages/', Delimiter: '/' }));
    expect((folders.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['pages/a/']);
    expect((folders.Contents ?? []).map((o) => o.Key)).toEqual(['pages/b.jsonl', 'pages/c d.jsonl']);
    const all = await stores.listObjects(BUCKET);
    for (const [key, text] of Object.entries(texts)) expect(all).toContainEqual({ key, etag: md5(text), size: text.length });
    expect(all.map((o) => o.key)).toEqual([...all.map((o) => o.key)].sort());
  });

  it('lists a key all the while objects are copied onto it, as S3 does', async () => {
    const [source, target] = ['listed/source.jsonl', 'listed/target.jsonl'];
    for (const key of [source, target]) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: version(0) }));
    const missing: number[] = [];
    let copying = true;
    const lister = async () => {
      for (let listing = 0; copying; listing++) {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'listed/' }));
        if (!listed.Contents?.some((o) => o.Key === target)) missing.push(listing);
      }
    };
    const listers = Promise.all([lister(), lister()]);
    for (let n = 0; n < 20; n++) await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: target, CopySource: `${BUCKET}/${source}` }));
    copying = false;
    await listers;
    expect(missing).toEqual([]);
  });

  it('completes a multipart upload over an object as one new version, its ETag its bytes\' MD5', async () => {
    const key = 'multipart/object.jsonl';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: version(0) }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const parts = [version(1), version(2)];
    const uploaded = await Promise.all(parts.map((Body, i) => s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: i + 1, Body }))));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: uploaded.map((p, i) => ({ ETag: p.ETag!, PartNumber: i + 1 })) } }));
    const read = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const body = await read.Body!.transformToString();
    expect(body).toBe(parts.join(''));
    expect(read.ETag).toBe(`"${md5(body)}"`);
  });

  it('copies two objects onto each other at once: each copy finds its source there, and both finish', async () => {
    const [a, b] = ['crossing/a.jsonl', 'crossing/b.jsonl'];
    for (const key of [a, b]) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `{"key":"${key}"}\n` }));
    const copy = (from: string, to: string) => s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: to, CopySource: `${BUCKET}/${from}` }));
    for (let round = 0; round < 20; round++) await Promise.all([copy(a, b), copy(b, a)]);
    const etags = await Promise.all([a, b].map(async (key) => (await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ETag));
    expect(etags[0]).toBe(etags[1]);
  }, 15_000);
});
