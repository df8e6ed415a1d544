/**
 * Per-function settings, shared by the stacks (Lambda memory and timeout) and the embedded
 * runtime (the remaining time its Lambda context reports).
 */
import type { FunctionName } from './definition.js';

export interface FunctionSettings {
  /** Lambda timeout. Load's is also the age at which its ledger claim is taken over. */
  timeoutSeconds: number;
  memoryMb: number;
  why: string;
}

export const FUNCTION_SETTINGS: Record<FunctionName, FunctionSettings> = {
  discover: { timeoutSeconds: 60, memoryMb: 256, why: 'one paginated scan of the tenants table' },
  'ensure-schema': { timeoutSeconds: 120, memoryMb: 256, why: 'at most four CREATE TABLE IF NOT EXISTS' },
  plan: { timeoutSeconds: 300, memoryMb: 512, why: 'lists one prefix and reads its ledger partition; holds both in memory' },
  load: { timeoutSeconds: 900, memoryMb: 512, why: 'ClickHouse reads the files itself; the function only waits, so the longest timeout and little memory' },
  validate: { timeoutSeconds: 900, memoryMb: 512, why: 'one ledger query and a few count queries per item' },
};

/** The function S3 event notifications call (functions/mark-arrival.ts), outside the state machine. */
export const MARK_ARRIVAL_SETTINGS: FunctionSettings = { timeoutSeconds: 30, memoryMb: 256, why: 'one conditional write a landed or deleted object' };
