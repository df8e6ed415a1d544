/** The RunStore port on S3: the runs bucket's manifests, map results and reports. */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RunStore } from '../../ports.js';
import { awsCall } from './classify.js';

export class S3RunStore implements RunStore {
  readonly #s3: S3Client;
  readonly bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.#s3 = s3;
    this.bucket = bucket;
  }

  async put(key: string, body: string): Promise<void> {
    const contentType = key.endsWith('.jsonl') ? 'application/x-ndjson' : 'application/json';
    await awsCall(`writing s3://${this.bucket}/${key}`, () => this.#s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, ContentLength: Buffer.byteLength(body) })));
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const { Body } = await awsCall(`reading s3://${this.bucket}/${key}`, () => this.#s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
      return await Body!.transformToString();
    } catch (error) {
      if (error instanceof Error && (error.name === 'NoSuchKey' || (error.cause instanceof Error && error.cause.name === 'NoSuchKey'))) return undefined;
      throw error;
    }
  }

  async folders(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await awsCall(`listing s3://${this.bucket}/${prefix}`, () =>
        this.#s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token })),
      );
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }
}
