/**
 * `onceload console`: holds the data dir (its stores open, its lock taken) and serves the page
 * until Ctrl-C. While it runs, `<data-dir>/console.json` says where it listens.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntime } from '../local/runtime.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/stores.js';
import { EXIT_INTERRUPTED } from '../cli/interrupt.js';
import { ConsoleRuns } from './runs.js';
import { assertLoopback, startConsoleServer } from './server.js';

export const DEFAULT_CONSOLE_PORT = 7654;

export interface ConsoleFlags {
  dataDir: string;
  host: string;
  port: number;
}

/** Where a running console listens, for other processes on this machine. */
export const consoleFile = (dataDir: string) => join(dataDir, 'console.json');

/** What a producer needs to write landing objects through the S3 API while the console holds the data dir. */
export function startupText(url: string, s3Endpoint: string, bucket: string, dataDir: string): string {
  return [
    `onceload console: ${url}`,
    `  data dir     ${dataDir} (held by this process until Ctrl-C)`,
    `  local S3     ${s3Endpoint}  bucket ${bucket}  region ${LOCAL_REGION}`,
    `  credentials  AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_CREDENTIALS.secretAccessKey}`,
    `  e.g.         aws --endpoint-url ${s3Endpoint} s3 cp companies.jsonl s3://${bucket}/<tenant-id>/canonical/companies/companies.jsonl`,
  ].join('\n');
}

/** Serves until SIGINT or SIGTERM; resolves to the exit code. */
export async function serveConsole(flags: ConsoleFlags, out: (text: string) => void): Promise<number> {
  // Refused before the data dir is locked or any store started.
  assertLoopback(flags.host);
  const runtime = await LocalRuntime.open({ dataDir: flags.dataDir });
  const runs = new ConsoleRuns(runtime);
  let server;
  try {
    server = await startConsoleServer({ runtime, runs }, { host: flags.host, port: flags.port });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const deps = await runtime.deps();
  writeFileSync(consoleFile(runtime.dataDir), JSON.stringify({ pid: process.pid, url: server.url }));
  out(startupText(server.url, runtime.s3Endpoint, deps.config.landingBucket, runtime.dataDir));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  rmSync(consoleFile(runtime.dataDir), { force: true });
  await server.close();
  if (runs.current) {
    // A run under way is left as a killed one is: the next process to open the data dir recovers it.
    process.stderr.write(`onceload: interrupted run ${runs.current}; the next \`onceload run\` resumes it\n`);
    await runtime.abandon().catch(() => undefined);
    // The execution's tasks still hold the event loop, as in an interrupted `onceload run`.
    process.exit(EXIT_INTERRUPTED);
  }
  await runtime.close();
  return 0;
}
