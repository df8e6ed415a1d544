/** The ObjectStore port on S3: lists a prefix of the landing bucket and presigns reads. */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { LandedFile, ObjectStore } from '../../ports.js';
import { awsCall } from './classify.js';

export class S3ObjectStore implements ObjectStore {
  readonly #s3: S3Client;
  readonly #bucket: string;

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
        files.push({ key: object.Key, etag: (object.ETag ?? '').replaceAll('"', ''), size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files;
  }

  /** Valid long enough for the longest Load; signing is local, no request is made. */
  presignGet(key: string): Promise<string> {
    return getSignedUrl(this.#s3, new GetObjectCommand({ Bucket: this.#bucket, Key: key }), { expiresIn: 3600 });
  }
}
