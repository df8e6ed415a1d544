/** The ObjectStore port on S3: lists a prefix of the landing bucket (or one level of it) and presigns reads. */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { PassThrough, type Readable } from 'node:stream';
import { PermanentError } from '../../errors.js';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { FolderListing, LandedFile, ObjectStore } from '../../ports.js';
import { awsCall, classifyAwsError } from './classify.js';

/** A presigned URL is valid an hour; one is reused for ten minutes, so each use has 50 left. */
const URL_VALID_SECONDS = 3600;
const URL_REUSE_MS = 10 * 60 * 1000;

export class S3ObjectStore implements ObjectStore {
  readonly #s3: S3Client;
  readonly #bucket: string;
  /**
   * The same URL for the same key for a while: ClickHouse keeps the row counts of files it read by
   * URL, so a count after the insert reads nothing when it names the URL the insert read.
   */
  readonly #signed = new Map<string, { url: Promise<string>; at: number }>();

  constructor(s3: S3Client, bucket: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
  }

  async list(prefix: string): Promise<LandedFile[]> {
    const files: LandedFile[] = [];
    let token: string | undefined;
    do {
      const page = await awsCall(`listing s3://${this.#bucket}/${prefix}`, () =>
        this.#s3.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token })),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith('/')) continue;
        files.push({ key: object.Key, etag: (object.ETag ?? '').replaceAll('"', ''), size: object.Size ?? 0, ...(object.LastModified ? { lastModified: object.LastModified.toISOString() } : {}) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files;
  }

  async listFolder(prefix: string): Promise<FolderListing> {
    const out: FolderListing = { folders: [], files: [] };
    let token: string | undefined;
    do {
      const page = await awsCall(`listing the folders of s3://${this.#bucket}/${prefix}`, () =>
        this.#s3.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token })),
      );
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.folders.push(p.Prefix);
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith('/')) continue;
        out.files.push({ key: object.Key, etag: (object.ETag ?? '').replaceAll('"', ''), size: object.Size ?? 0, ...(object.LastModified ? { lastModified: object.LastModified.toISOString() } : {}) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async read(key: string, etag: string): Promise<Readable> {
    const what = `reading s3://${this.#bucket}/${key}`;
    try {
      // If-Match pins the version planned: a file overwritten since is another version, loaded on its own.
      const { Body, ETag } = await awsCall(what, () => this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key, IfMatch: `"${etag}"` })));
      const body = Body as Readable;
      // S3 refuses another version itself; a store that ignores If-Match is caught here.
      if (ETag !== undefined && ETag.replaceAll('"', '') !== etag) {
        body.destroy();
        throw Object.assign(new Error(`the object's ETag is ${ETag}, not "${etag}"`), { name: 'PreconditionFailed' });
      }
      // A connection that drops mid-object fails the stream: classified, like the call's own errors.
      const out = new PassThrough();
      body.once('error', (error) => out.destroy(classifyAwsError(error, what) as Error));
      out.once('close', () => body.destroy());
      return body.pipe(out);
    } catch (error) {
      if (error instanceof Error && error.name === 'NoSuchKey') {
        throw new PermanentError('NOT_FOUND', 'the file is no longer in the landing bucket', { file: key }, { cause: error });
      }
      if (error instanceof Error && (error.name === 'PreconditionFailed' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412)) {
        throw new PermanentError('SUPERSEDED', 'this version of the file was replaced in the landing bucket; the new version loads on its own', { file: key }, { cause: error });
      }
      throw error;
    }
  }

  /** Valid long enough for the longest Load; signing is local, no request is made. */
  presignGet(key: string): Promise<string> {
    const now = Date.now();
    const signed = this.#signed.get(key);
    if (signed && now - signed.at < URL_REUSE_MS) return signed.url;
    if (this.#signed.size > 10_000) this.#signed.clear();
    const url = getSignedUrl(this.#s3, new GetObjectCommand({ Bucket: this.#bucket, Key: key }), { expiresIn: URL_VALID_SECONDS });
    this.#signed.set(key, { url, at: now });
    url.catch(() => this.#signed.delete(key));
    return url;
  }
}
