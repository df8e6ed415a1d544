/**
 * `npm run capacity`: what a fleet costs per tick and per month, by per-unit costs measured on the
 * local runtime at a small size (src/capacity/calibrate.ts), never typed in by hand.
 *
 *   npm run capacity -- --tenants 10000 --tables 4 --active 0.01 --files 20 [--every 15m] [--concurrency 8] [--sweep-hours 24] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import ms from 'ms';
import { calibrate, DEFAULT_CALIBRATION } from '../src/capacity/calibrate.js';
import { fleetTicks, type Fleet } from '../src/capacity/fleet.js';
import { countRequests } from '../src/capacity/request-counters.js';
import { estimateFleet, formatEstimate, formatModel } from '../src/capacity/report.js';
import { ConfigError } from '../src/errors.js';
import { LocalRuntime } from '../src/local/runtime.js';

const { values: flags } = parseArgs({
  options: {
    tenants: { type: 'string', default: '10000' },
    tables: { type: 'string', default: '4' },
    active: { type: 'string', default: '0.01' },
    files: { type: 'string', default: '20' },
    every: { type: 'string', default: '1h' },
    concurrency: { type: 'string' },
    'sweep-hours': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

function number(name: string, value: string | undefined, check: (n: number) => boolean, expected: string): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n) || !check(n)) {
    process.stderr.write(`--${name}: ${JSON.stringify(value)} is not ${expected}\n`);
    process.exit(2);
  }
  return n;
}

const whole = (n: number) => Number.isInteger(n) && n >= 0;
const everyMs = ms((flags.every ?? '1h') as ms.StringValue) as number | undefined;
if (!everyMs || everyMs <= 0) {
  process.stderr.write(`--every: ${JSON.stringify(flags.every)} is not a duration such as 15m or 1h\n`);
  process.exit(2);
}

const shape = {
  tenants: number('tenants', flags.tenants, whole, 'a whole number'),
  tables: number('tables', flags.tables, (n) => whole(n) && n > 0, 'a whole number above 0'),
  active: number('active', flags.active, (n) => n >= 0 && n <= 1, 'a fraction from 0 to 1'),
  files: number('files', flags.files, whole, 'a whole number'),
  everySeconds: everyMs / 1000,
};

// The stage's settings as the deployed functions read them, or as the flags say.
const env: Record<string, string> = {
  ...(flags.concurrency ? { ONCELOAD_MAP_CONCURRENCY: flags.concurrency } : {}),
  ...(flags['sweep-hours'] ? { ONCELOAD_SWEEP_HOURS: flags['sweep-hours'] } : {}),
};
try {
  LocalRuntime.checkSettings({ dataDir: tmpdir(), env });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

const dataDir = mkdtempSync(join(tmpdir(), 'onceload-capacity-'));
const runtime = await LocalRuntime.open({ dataDir, env });
try {
  const deps = await runtime.deps();
  // The stage's Map concurrency (ONCELOAD_MAP_CONCURRENCY), as Discover hands it to the Map.
  const fleet: Fleet = { ...shape, concurrency: deps.config.mapConcurrency, sweepHours: deps.config.sweepHours };
  const log = (line: string) => flags.json || process.stderr.write(`${line}\n`);
  const { counts } = countRequests(runtime, deps);
  const started = performance.now();
  const size = DEFAULT_CALIBRATION;
  const { model, runs } = await calibrate(runtime, counts, size, (step) => log(`calibrating: ${step}`));
  const calibrationSeconds = (performance.now() - started) / 1000;
  const estimate = estimateFleet(model, fleet, fleetTicks(fleet));
  if (flags.json) console.log(JSON.stringify({ ...estimate, calibration: { ...size, seconds: calibrationSeconds }, model }, null, 2));
  else {
    console.log(
      `Calibrated on the local runtime in ${calibrationSeconds.toFixed(1)} s: ${runs.idleFew.items}, then ${runs.idleMany.items} idle items; ` +
        `${runs.activeFew.activeItems} active items with ${runs.activeFew.files}, then ${runs.activeMany.files} files of a few rows.\n`,
    );
    console.log(formatModel(model));
    console.log('');
    console.log(formatEstimate(estimate, deps.config.batchMaxFiles));
  }
} finally {
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
}
