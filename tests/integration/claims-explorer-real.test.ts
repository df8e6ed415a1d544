/** Random schedules of concurrent attempts on the real embedded stores, an object overwritten or deleted mid-schedule, on each load path (see tests/explore/real-property.ts). */
import fc from 'fast-check';
import { afterAll, beforeAll, it } from 'vitest';
import { openRealBed, type RealBed } from '../explore/real-bed.js';
import { checkRealSchedule, realScheduleArbOn, type LoadPathName } from '../explore/real-property.js';

let bed: RealBed;
beforeAll(async () => {
  bed = await openRealBed();
});
afterAll(async () => bed?.close());

/** Per path; streamed schedules run faster, and a redo of a chunk needs more of them to come up. */
const numRuns = { 'in-engine': 20, streamed: 40 };
const override = process.env.ONCELOAD_EXPLORE_REAL_SCHEDULES;
const paths = (['in-engine', 'streamed'] as const).map((path): [number, LoadPathName] => [override ? Number(override) : numRuns[path], path]);

it.each(paths)(
  'keeps every file version exactly once on dynalite, the local S3 and chDB over %i schedules of 2-4 attempts on the %s path with deaths, zombies and an object overwritten or deleted',
  async (runs, path) => {
    await fc.assert(
      fc.asyncProperty(realScheduleArbOn(path), (schedule) => checkRealSchedule(bed, schedule)),
      { numRuns: runs, ...(process.env.ONCELOAD_EXPLORE_SEED ? { seed: Number(process.env.ONCELOAD_EXPLORE_SEED) } : {}) },
    );
  },
  600_000,
);
