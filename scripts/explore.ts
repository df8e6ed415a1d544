/**
 * Explores random schedules of concurrent Load attempts against the claim protocol, more than
 * the test suite runs: `npm run explore -- --schedules 5000 [--seed N]`. A failure prints its
 * seed and the smallest schedule that breaks, replayable with `--seed`.
 */
import { Command, Option } from 'commander';
import fc from 'fast-check';
import { checkSchedule, scheduleArb } from '../tests/explore/claims-property.js';
import { openLedgerBed } from '../tests/unit/protocol-harness.js';

const flags = new Command('explore')
  .addOption(new Option('--schedules <n>', 'how many schedules to run').default('1000').argParser((v) => Number.parseInt(v, 10)))
  .addOption(new Option('--seed <n>', 'replay the schedules of this seed').argParser((v) => Number.parseInt(v, 10)))
  .parse()
  .opts<{ schedules: number; seed?: number }>();

const bed = await openLedgerBed();
const started = Date.now();
const seed = flags.seed ?? Date.now() ^ (Math.random() * 0x7fffffff);
console.log(`exploring ${flags.schedules} schedules, seed ${seed}`);
try {
  const result = await fc.check(
    fc.asyncProperty(scheduleArb, (schedule) => checkSchedule(bed, schedule)),
    { numRuns: flags.schedules, seed },
  );
  if (result.failed) {
    console.error(fc.defaultReportMessage(result));
    console.error(`replay with: npm run explore -- --schedules ${flags.schedules} --seed ${seed}`);
    process.exitCode = 1;
  } else {
    console.log(`${result.numRuns} schedules, no invariant broken (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
} finally {
  await bed.close();
}
