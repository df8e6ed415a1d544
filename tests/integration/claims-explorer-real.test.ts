/** Random schedules of concurrent attempts on the real embedded stores, an object overwritten or deleted mid-schedule (see tests/explore/real-property.ts). */
import fc from 'fast-check';
import { afterAll, beforeAll, it } from 'vitest';
import { openRealBed, type RealBed } from '../explore/real-bed.js';
import { checkRealSchedule, realScheduleArb } from '../explore/real-property.js';

let bed: RealBed;
beforeAll(async () => {
  bed = await openRealBed();
});
afterAll(async () => bed?.close());

const numRuns = Number(process.env.ONCELOAD_EXPLORE_REAL_SCHEDULES ?? 40);

it(`keeps every file version exactly once on dynalite, the local S3 and chDB over ${numRuns} schedules of 2-4 attempts with deaths, zombies and an object overwritten or deleted`, async () => {
  await fc.assert(
    fc.asyncProperty(realScheduleArb, (schedule) => checkRealSchedule(bed, schedule)),
    { numRuns, ...(process.env.ONCELOAD_EXPLORE_SEED ? { seed: Number(process.env.ONCELOAD_EXPLORE_SEED) } : {}) },
  );
}, 600_000);
