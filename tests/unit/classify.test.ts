import { describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../src/adapters/aws/classify.js';
import { classifyClickHouseError } from '../../src/adapters/clickhouse/classify.js';
import { PermanentError, TransientError } from '../../src/errors.js';

const ch = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('ClickHouse errors', () => {
  it('makes a parse error a permanent file error with its row and column', () => {
    const error = classifyClickHouseError(ch('27', "Cannot parse input: expected '\"' before: 'abc': (while reading the value of key id): (at row 5)\n: (in file/uri x)"), { file: 'k' });
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'PARSE_ERROR', context: { file: 'k', row: 5, column: 'id' } });
  });

  it('retries network errors, timeouts and an object store 5xx, and names 404 and 403', () => {
    expect(classifyClickHouseError(ch('210', 'Connection reset'))).toBeInstanceOf(TransientError);
    expect(classifyClickHouseError(ch('159', 'Timeout exceeded'))).toBeInstanceOf(TransientError);
    expect(classifyClickHouseError(ch('499', 'HTTP response code: 503'))).toBeInstanceOf(TransientError);
    expect(classifyClickHouseError(ch('499', 'HTTP response code: 404'))).toMatchObject({ code: 'NOT_FOUND' });
    expect(classifyClickHouseError(ch('499', 'HTTP response code: 403'))).toMatchObject({ code: 'ACCESS_DENIED' });
    // A url() read of a deleted object.
    expect(classifyClickHouseError(ch('86', "Received error from remote server http://s3/k. HTTP status code: 404 'Not Found', body: 'NoSuchKey'"))).toMatchObject({ code: 'NOT_FOUND' });
    expect(classifyClickHouseError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBeInstanceOf(TransientError);
  });

  it('calls a truncated gzip unreadable, naming no row or column the decompressor happened to be at', () => {
    const error = classifyClickHouseError(
      ch('354', 'inflate failed: buffer error: While reading from: /x.jsonl.gz: (while reading the value of key id): (in file/uri /x.jsonl.gz): While executing File.'),
      { file: 'k' },
    );
    expect(error).toMatchObject({ code: 'UNREADABLE_FILE', context: { file: 'k' } });
    expect((error as PermanentError).context).not.toHaveProperty('column');
    expect((error as PermanentError).message).toBe('file "k": not a readable gzip file (truncated or corrupt): inflate failed: buffer error');
  });

  it('leaves a bug or a misconfiguration as it is', () => {
    const syntax = ch('62', 'Syntax error');
    expect(classifyClickHouseError(syntax)).toBe(syntax);
  });
});

describe('AWS errors', () => {
  it('retries throttling, 5xx and connection resets; names access denied; leaves the rest', () => {
    expect(classifyAwsError(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }), 'x')).toBeInstanceOf(TransientError);
    expect(classifyAwsError(Object.assign(new Error('oops'), { name: 'Weird', $metadata: { httpStatusCode: 503 } }), 'x')).toBeInstanceOf(TransientError);
    expect(classifyAwsError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'x')).toBeInstanceOf(TransientError);
    expect(classifyAwsError(Object.assign(new Error('no'), { name: 'AccessDeniedException' }), 'x')).toMatchObject({ code: 'ACCESS_DENIED' });
    const validation = Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    expect(classifyAwsError(validation, 'x')).toBe(validation);
  });
});
