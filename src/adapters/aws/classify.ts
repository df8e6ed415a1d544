/**
 * Maps AWS SDK errors onto onceload's contract by the SDK's error name and HTTP status,
 * never by message text.
 */
import { redactError } from '../../lib/redact.js';
import { PermanentError, TransientError } from '../../errors.js';

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'InternalServerError',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'TransactionConflictException',
]);
const NETWORK_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Returns the error to throw in place of an SDK error. */
export function classifyAwsError(error: unknown, what: string): unknown {
  // An SDK message may quote a signed request; none reaches a ledger item, a report or a log.
  return redactError(classify(error, what));
}

function classify(error: unknown, what: string): unknown {
  if (!(error instanceof Error)) return error;
  const e = error as Error & SdkErrorShape;
  const status = e.$metadata?.httpStatusCode ?? 0;
  if (TRANSIENT_NAMES.has(e.name) || status >= 500 || (e.code && NETWORK_ERRNOS.has(e.code))) {
    return new TransientError(`${what}: ${e.name}: ${e.message}`, {}, { cause: e });
  }
  if (e.name === 'AccessDenied' || e.name === 'AccessDeniedException' || status === 403) {
    return new PermanentError('ACCESS_DENIED', `${what}: ${e.message}`, {}, { cause: e });
  }
  if (e.name === 'ResourceNotFoundException' || e.name === 'NoSuchBucket') {
    return new PermanentError('CONFIGURATION', `${what}: ${e.message}`, {}, { cause: e });
  }
  return error;
}

/** Runs one SDK call, classifying what it throws. */
export async function awsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyAwsError(error, what);
  }
}
