/**
 * The ClickHouse connection of a deployed stage, read from Secrets Manager through Powertools
 * Parameters (cached, so warm invocations make no call). Values are never logged: errors
 * name the secret and the field, not what it holds.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { z } from 'zod';
import type { ClickHouseTarget } from '../../config.js';
import { PermanentError, TransientError } from '../../errors.js';

/** Seconds a fetched secret is reused; a rotated password is picked up within this. */
export const SECRET_MAX_AGE_SECONDS = 300;

export const clickhouseSecretSchema = z.strictObject({
  url: z.url(),
  username: z.string().min(1).default('default'),
  password: z.string().default(''),
  database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('default'),
});

export type ServerTarget = Extract<ClickHouseTarget, { kind: 'server' }>;

export function parseClickHouseSecret(secretName: string, value: unknown): ServerTarget {
  const parsed = clickhouseSecretSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || '(the whole value)';
    throw new PermanentError(
      'CONFIGURATION',
      `secret ${secretName}: field ${field}: ${issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message}; expected JSON {"url","username","password","database"}`,
    );
  }
  return { kind: 'server', ...parsed.data };
}

/** One provider a region, so its cache serves every read there. */
const providers = new Map<string, SecretsProvider>();
function providerIn(region: string): SecretsProvider {
  let provider = providers.get(region);
  if (!provider) providers.set(region, (provider = new SecretsProvider({ clientConfig: { region } })));
  return provider;
}

/** `region` is the stage's (a function's own; the CLI's --region). */
export async function readClickHouseSecret(secretName: string, region: string): Promise<ServerTarget> {
  let value: unknown;
  try {
    value = await providerIn(region).get(secretName, { transform: 'json', maxAge: SECRET_MAX_AGE_SECONDS });
  } catch (error) {
    // Powertools wraps the SDK's error; its cause says what went wrong.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const name = cause instanceof Error ? cause.name : '';
    if (name === 'ResourceNotFoundException' || name === 'AccessDeniedException' || name === 'TransformParameterError') {
      throw new PermanentError('CONFIGURATION', `secret ${secretName}: ${name === 'TransformParameterError' ? 'its value is not JSON' : name}`, {}, { cause });
    }
    throw new TransientError(`reading secret ${secretName}: ${name || 'error'}`, {}, { cause });
  }
  return parseClickHouseSecret(secretName, value);
}
