/** Random schedules of concurrent attempts against the claim protocol (see tests/explore/claims-property.ts). */
import fc from 'fast-check';
import { afterAll, beforeAll, it } from 'vitest';
import { checkSchedule, scheduleArb } from '../explore/claims-property.js';
import { openLedgerBed, type LedgerBed } from './protocol-harness.js';

let bed: LedgerBed;
beforeAll(async () => {
  bed = await openLedgerBed();
});
afterAll(async () => bed?.close());

const numRuns = Number(process.env.ONCELOAD_EXPLORE_SCHEDULES ?? 200);

it(`keeps every file version exactly once over ${numRuns} schedules of 2-4 attempts with deaths, lease expiries, bad rows and unit-size changes`, async () => {
  await fc.assert(
    fc.asyncProperty(scheduleArb, (schedule) => checkSchedule(bed, schedule)),
    { numRuns, ...(process.env.ONCELOAD_EXPLORE_SEED ? { seed: Number(process.env.ONCELOAD_EXPLORE_SEED) } : {}) },
  );
}, 600_000);
