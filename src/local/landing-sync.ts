/**
 * `<data-dir>/landing/` mirrors the bucket: before each run, new or changed files are copied
 * into the local S3, and files deleted from the folder are deleted from it, so a user drops (or
 * removes) files in a folder and runs.
 */
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ObjectStore } from '../ports.js';

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function md5(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('md5');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

export async function syncLanding(
  landingDir: string,
  deps: { s3: S3Client; bucket: string; store: ObjectStore },
): Promise<{ uploaded: number; unchanged: number; deleted: number }> {
  if (!existsSync(landingDir)) return { uploaded: 0, unchanged: 0, deleted: 0 };
  const remote = new Map((await deps.store.list('')).map((f) => [f.key, f]));
  let uploaded = 0;
  let unchanged = 0;
  for await (const path of walk(landingDir)) {
    const key = relative(landingDir, path).split(sep).join('/');
    const existing = remote.get(key);
    remote.delete(key);
    const { size } = await stat(path);
    if (existing && existing.size === size && existing.etag === (await md5(path))) {
      unchanged++;
      continue;
    }
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: createReadStream(path), ContentLength: size }));
    uploaded++;
  }
  // What is left was deleted from the folder: the bucket follows, and the next Plan retires it.
  for (const key of remote.keys()) await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: key }));
  return { uploaded, unchanged, deleted: remote.size };
}
