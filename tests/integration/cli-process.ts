/** Spawns the onceload CLI as its own process, as a user runs it, with a time limit. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '../../bin/onceload.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The process was still running at the time limit, and was killed. */
  hung: boolean;
  ms: number;
}

export function runCli(args: string[], options: { env?: Record<string, string | undefined>; timeoutMs?: number; node?: string } = {}): CliResult {
  const started = Date.now();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v;
  const result = spawnSync(options.node ?? process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: options.timeoutMs ?? 120_000 });
  const hung = result.signal === 'SIGTERM' && result.status === null;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, hung, ms: Date.now() - started };
}
