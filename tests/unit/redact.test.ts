import { describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../src/adapters/aws/classify.js';
import { classifyClickHouseError } from '../../src/adapters/clickhouse/classify.js';
import { redactSecrets } from '../../src/lib/redact.js';

const PRESIGNED =
  'http://127.0.0.1:42037/onceload-landing/acme/canonical/companies/trunc.jsonl.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=S3RVER%2F20261202%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261202T141718Z&X-Amz-Expires=3600&X-Amz-Signature=2820b8c1570def497f9d1e726e62f2236c65931d80f22b5a85978293805d04f0&X-Amz-SignedHeaders=host&x-id=GetObject';
const SECRETS = /X-Amz-Signature|X-Amz-Credential|Signature=|Credential=|hunter2/;

describe('redactSecrets', () => {
  it('drops a presigned query string and keeps the object key', () => {
    const text = redactSecrets(`inflate failed: buffer error: While reading from: ${PRESIGNED}: (while reading the value of key id)`);
    expect(text).not.toMatch(SECRETS);
    expect(text).toBe('inflate failed: buffer error: While reading from: http://127.0.0.1:42037/onceload-landing/acme/canonical/companies/trunc.jsonl.gz?(signed query redacted): (while reading the value of key id)');
  });

  it('drops a SigV2 query, an Authorization header and a URL password', () => {
    expect(redactSecrets("GET 'https://b.s3.amazonaws.com/k.csv?AWSAccessKeyId=AKIA&Expires=1&Signature=abc%3D'")).toBe("GET 'https://b.s3.amazonaws.com/k.csv?(signed query redacted)'");
    expect(redactSecrets('Authorization: AWS4-HMAC-SHA256 Credential=AKIA/20261202/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=deadbeef')).not.toMatch(SECRETS);
    expect(redactSecrets('cannot reach http://default:hunter2@ch.example:8123/')).toBe('cannot reach http://default:***@ch.example:8123/');
  });

  it('leaves a message without secrets as it is', () => {
    expect(redactSecrets('row 3, column id: expected a number')).toBe('row 3, column id: expected a number');
  });
});

describe('the classifiers redact what they pass on', () => {
  it('ClickHouse: a file error and an unclassified error both lose the signed query', () => {
    const fileError = Object.assign(new Error(`Code: 354. DB::Exception: inflate failed: buffer error: While reading from: ${PRESIGNED}`), { code: '354' });
    const classified = classifyClickHouseError(fileError, { tenant: 'acme', file: 'acme/canonical/companies/trunc.jsonl.gz' }) as Error;
    expect(classified.message).not.toMatch(SECRETS);
    expect(classified.message).toContain('trunc.jsonl.gz');
    const other = Object.assign(new Error(`Code: 1. something odd at ${PRESIGNED}`), { code: '1' });
    expect((classifyClickHouseError(other) as Error).message).not.toMatch(SECRETS);
  });

  it('AWS: the SDK message loses the signed query', () => {
    const sdk = Object.assign(new Error(`socket hang up ${PRESIGNED}`), { name: 'TimeoutError', $metadata: {} });
    expect((classifyAwsError(sdk, 'reading') as Error).message).not.toMatch(SECRETS);
    const passed = Object.assign(new Error(`odd ${PRESIGNED}`), { name: 'Weird', $metadata: { httpStatusCode: 400 } });
    expect((classifyAwsError(passed, 'reading') as Error).message).not.toMatch(SECRETS);
  });
});
