/**
 * Explores random schedules of concurrent Load attempts against the claim protocol, more than
 * the test suite runs: `npm run explore -- --schedules 5000 [--seed N]`. `--real` runs them on
 * the real embedded stores (dynalite, the local S3, chDB) with an object overwritten mid-schedule,
 * each schedule on a load path it picks (in-engine or streamed; `--path` keeps to one).
 * A failure prints its seed and the smallest schedule that breaks, replayable with `--seed`.
 */
import { Command, Option } from 'commander';
import fc from 'fast-check';
import { checkSchedule, scheduleArb } from '../tests/explore/claims-property.js';
import { openRealBed } from '../tests/explore/real-bed.js';
import { checkRealSchedule, cutShort, realScheduleArbOn, type LoadPathName } from '../tests/explore/real-property.js';
import { openLedgerBed } from '../tests/unit/protocol-harness.js';

const flags = new Command('explore')
  .addOption(new Option('--schedules <n>', 'how many schedules to run').default('1000').argParser((v) => Number.parseInt(v, 10)))
  .addOption(new Option('--seed <n>', 'replay the schedules of this seed').argParser((v) => Number.parseInt(v, 10)))
  .addOption(new Option('--real', 'on the real embedded stores, with an object overwritten through the S3 API'))
  .addOption(new Option('--path <path>', 'with --real: only schedules on this load path').choices(['in-engine', 'streamed']))
  .parse()
  .opts<{ schedules: number; seed?: number; real?: boolean; path?: LoadPathName }>();

const started = Date.now();
const seed = flags.seed ?? Date.now() ^ (Math.random() * 0x7fffffff);
const replay = `npm run explore --${flags.real ? ' --real' : ''}${flags.path ? ` --path ${flags.path}` : ''} --schedules ${flags.schedules} --seed ${seed}`;

/** Runs the property's schedules; a failure prints the shrunk schedule and how to replay it. */
async function explore<T>(property: fc.IAsyncProperty<T>, tally: () => string = () => ''): Promise<void> {
  const result = await fc.check(property, { numRuns: flags.schedules, seed });
  if (result.failed) {
    console.error(fc.defaultReportMessage(result));
    // The invariant that broke, in its own words (the report names the schedule).
    console.error(result.errorInstance instanceof Error ? `\n${result.errorInstance.message}` : result.errorInstance);
    console.error(`replay with: ${replay}`);
    process.exitCode = 1;
  } else {
    console.log(`${result.numRuns} schedules${tally()}, no invariant broken (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}

console.log(`exploring ${flags.schedules} schedules${flags.real ? ' on the real stores' : ''}, seed ${seed}`);
if (flags.real) {
  const bed = await openRealBed();
  try {
    const onPath = new Map<LoadPathName, number>();
    await explore(
      fc.asyncProperty(realScheduleArbOn(flags.path), (schedule) => {
        onPath.set(schedule.path.kind, (onPath.get(schedule.path.kind) ?? 0) + 1);
        return checkRealSchedule(bed, schedule);
      }),
      () => ` (${[...onPath].map(([path, n]) => `${n} ${path}`).join(', ')}; ${cutShort.count} reached the known limit of rows left unproven, their object gone)`,
    );
  } finally {
    await bed.close();
  }
} else {
  const bed = await openLedgerBed();
  try {
    await explore(fc.asyncProperty(scheduleArb, (schedule) => checkSchedule(bed, schedule)));
  } finally {
    await bed.close();
  }
}
