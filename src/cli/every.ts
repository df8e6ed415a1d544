/** `--every <duration>`: a tenant's schedule, parsed with `ms` and kept in whole seconds. */
import ms from 'ms';
import { InputError } from '../errors.js';

/** Shorter intervals than this would be shorter than any sensible schedule tick. */
export const MIN_EVERY_SECONDS = 60;

export function parseEvery(value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) throw new InputError(`${JSON.stringify(value)} has no unit; give a duration such as 15m, 1h or 1d`, '--every');
  let millis: number | undefined;
  try {
    millis = ms(text as ms.StringValue);
  } catch {
    millis = undefined;
  }
  if (typeof millis !== 'number' || !Number.isFinite(millis)) {
    throw new InputError(`${JSON.stringify(value)} is not a duration; give one such as 15m, 1h or 1d`, '--every');
  }
  const seconds = Math.round(millis / 1000);
  if (seconds < MIN_EVERY_SECONDS) throw new InputError(`${JSON.stringify(value)} is too short; the shortest schedule is 1m`, '--every');
  return seconds;
}

/** The interval in the largest unit that divides it exactly, e.g. 1h, 90m, 2d. */
export function formatEvery(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
