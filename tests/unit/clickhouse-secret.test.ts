import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseClickHouseSecret, readClickHouseSecret } from '../../src/adapters/clickhouse/secret.js';
import { PermanentError, TransientError } from '../../src/errors.js';

const REGION = 'eu-west-1';
const secrets = mockClient(SecretsManagerClient);
afterEach(() => secrets.reset());

describe('the ClickHouse secret', () => {
  it('reads the connection from the secret JSON, with defaults', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'onceload/test/one' }).resolves({ SecretString: JSON.stringify({ url: 'https://ch.example.com:8443', password: 's3cret' }) });
    await expect(readClickHouseSecret('onceload/test/one', REGION)).resolves.toEqual({
      kind: 'server',
      url: 'https://ch.example.com:8443',
      username: 'default',
      password: 's3cret',
      database: 'default',
    });
  });

  it('caches the value: a warm call makes no request', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ url: 'https://ch.example.com' }) });
    await readClickHouseSecret('onceload/test/cached', REGION);
    await readClickHouseSecret('onceload/test/cached', REGION);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it("asks the stage's region, whatever AWS_REGION says", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ url: 'https://ch.example.com' }) });
    await readClickHouseSecret('onceload/test/regional', 'ap-southeast-2');
    expect(await secrets.commandCalls(GetSecretValueCommand)[0]!.thisValue.config.region()).toBe('ap-southeast-2');
  });

  it('names the secret and the field when the value is wrong, never the value', () => {
    const bad = () => parseClickHouseSecret('onceload/test/bad', { url: 'not a url', password: 'hunter2' });
    expect(bad).toThrow(PermanentError);
    expect(bad).toThrow(/secret onceload\/test\/bad: field url/);
    try {
      bad();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2');
    }
    expect(() => parseClickHouseSecret('s', { url: 'https://x', pasword: 'typo' })).toThrow(/field pasword: unknown field/);
  });

  it('is a permanent error when the secret is missing or not JSON, a transient one when the service throttles', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'missing' }).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    await expect(readClickHouseSecret('missing', REGION)).rejects.toThrow(PermanentError);
    secrets.on(GetSecretValueCommand, { SecretId: 'plain' }).resolves({ SecretString: 'https://ch.example.com' });
    await expect(readClickHouseSecret('plain', REGION)).rejects.toThrow(/secret plain: its value is not JSON/);
    secrets.on(GetSecretValueCommand, { SecretId: 'busy' }).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(readClickHouseSecret('busy', REGION)).rejects.toThrow(TransientError);
  });
});
