/**
 * The AWS-facing commands' settings the CLI needs to define its options and classify errors,
 * apart from the Step Functions client, so commands that never call AWS do not load it.
 */
import { InputError } from '../errors.js';

/**
 * Throttling is retried by the SDK's standard retry strategy (exponential backoff with jitter,
 * a longer base delay for ThrottlingException), as are 5xx and network errors; six attempts
 * ride out a burst, then the command fails with a message saying so (see errors.ts).
 */
export const MAX_ATTEMPTS = 6;

/** Seconds between polls of `trigger --watch`. */
export const DEFAULT_INTERVAL_SECONDS = 5;

export function nonNegativeSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InputError(`expected a number of seconds, got ${JSON.stringify(value)}`, '--interval');
  return n;
}
