/**
 * The name of a triggered execution: the UTC minute and a hash of the canonical input. Two
 * identical triggers in the same minute get the same name, and Step Functions refuses to start
 * a second execution under a name it has seen, so a double trigger starts one run.
 */
import { createHash } from 'node:crypto';
import type { ExecutionInput } from '../lib/execution-input.js';

/** What Step Functions accepts in a name (and what CloudWatch logging keeps intact). */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** JSON with object keys sorted at every level, so equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The input as sent: tenants and tables are sets to the pipeline, so their order and repeats do not make another run. */
export function canonicalInput(input: ExecutionInput): string {
  const set = <T extends string>(values: T[] | undefined) => (values ? [...new Set(values)].sort() : undefined);
  return canonicalJson({ ...input, tenants: set(input.tenants), tables: set(input.tables) });
}

/** 20261124T1205 for 2026-11-24 12:05:xx UTC. */
export function minuteWindow(now: Date): string {
  return now.toISOString().slice(0, 16).replace(/[-:]/g, '');
}

/** `trigger-<UTC minute>-<12 hex of sha256(canonical input)>` */
export function executionName(canonical: string, now: Date): string {
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, 12);
  return `trigger-${minuteWindow(now)}-${hash}`;
}
