/**
 * The whole process, as a user runs it: `onceload run` (bin/onceload.js) as a child process in a
 * prepared data dir, from a cold start of the CLI (no store running), timed from outside with its
 * peak RSS, and its own `--timings` breakdown of where the time went.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const BIN = join(import.meta.dirname, '../bin/onceload.js');
const TIME = '/usr/bin/time';

export interface ChildRun {
  seconds: number;
  /** The CLI process's peak resident set (the local S3 runs in a process of its own). */
  peakRssMb: number;
  stdout: string;
  /** The child's `--timings` line, parsed. */
  timings: Record<string, unknown> | undefined;
}

/**
 * Runs the CLI with `args`, with `env` only (never the bench's own stores' settings). The peak RSS
 * comes from GNU time where it is installed (the kernel's count at exit), else from polling the
 * child's VmHWM (its high-water mark) until it exits.
 */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  const start = performance.now();
  let stdout: string;
  let stderr: string;
  let peakKb: number;
  if (existsSync(TIME)) {
    const dir = mkdtempSync(join(tmpdir(), 'onceload-bench-time-'));
    const out = join(dir, 'time');
    const child = spawnSync(TIME, ['-f', '%M', '-o', out, process.execPath, BIN, ...args], { env, encoding: 'utf8', maxBuffer: 256 * 1024 ** 2 });
    stdout = child.stdout;
    stderr = child.stderr;
    if (child.status !== 0) throw new Error(`onceload ${args.join(' ')} exited with ${child.status}: ${stderr.trim()}`);
    peakKb = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1));
    rmSync(dir, { recursive: true, force: true });
  } else {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
    child.stdout.on('data', (c: Buffer) => chunks.out.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.err.push(c));
    peakKb = 0;
    const poll = setInterval(() => {
      try {
        peakKb = Math.max(peakKb, Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0));
      } catch {
        // Exited between polls.
      }
    }, 10);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearInterval(poll);
    stdout = Buffer.concat(chunks.out).toString('utf8');
    stderr = Buffer.concat(chunks.err).toString('utf8');
    if (code !== 0) throw new Error(`onceload ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
  }
  const seconds = (performance.now() - start) / 1000;
  const line = stderr.split('\n').find((l) => l.startsWith('timings: '));
  return { seconds, peakRssMb: Math.round(peakKb / 1024), stdout, timings: line ? (JSON.parse(line.slice('timings: '.length)) as Record<string, unknown>) : undefined };
}

/** The phases the speed work names, from a `--timings` line: the stores' start-up, landing sync, the execution's phases, close. */
export function phaseBreakdown(timings: Record<string, unknown> | undefined): Record<string, number> | undefined {
  if (!timings) return undefined;
  const phases = (timings.phases ?? {}) as Record<string, number>;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  return {
    startup: n(timings.startup),
    storesStart: n(timings.storesStart),
    preflight: n(timings.preflight),
    landingSync: n(timings.landingSync),
    discover: n(phases.discover),
    schema: n(phases.schema),
    items: n(phases.items),
    plan: n(phases.plan),
    load: n(phases.load),
    validate: n(phases.validate),
    between: n(phases.between),
    executionClose: n(phases.close),
    report: n(timings.report),
    shutdown: n(timings.shutdown),
    total: n(timings.total),
  };
}
