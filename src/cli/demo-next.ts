/** What the demo prints after its report: where the data is and what to run next. */
import { relative } from 'node:path';
import type { OnceloadConfig } from '../config.js';
import { DEFAULT_DATA_DIR } from '../local/runtime.js';
import { describeClickHouse } from './clickhouse-target.js';
import { DEFAULT_CONSOLE_PORT } from '../console/serve.js';

/** `runId`: the demo's run, kept under the data dir as a deployed run is kept in the runs bucket. */
export function demoNextSteps(dataDir: string, givenDataDir: string, config: OnceloadConfig, runId?: string): string {
  const near = relative(process.cwd(), dataDir);
  const shown = near === '' ? '.' : near.startsWith('..') ? dataDir : near;
  // Commands a user can paste as they are: a data dir other than the default has to be named.
  const flag = givenDataDir === DEFAULT_DATA_DIR ? '' : ` --data-dir ${JSON.stringify(givenDataDir)}`;
  // The demo seeds every configured table; the first is the one to query (names are plain identifiers).
  const first = config.tables.names[0]!;
  return [
    '',
    'Next:',
    `  the data       ${shown}/ (landing files in ${shown}/landing/), loaded into ${describeClickHouse(config)}`,
    `  query it       onceload sql${flag} "SELECT tenant_id, count() AS rows FROM ${first} FINAL GROUP BY tenant_id ORDER BY tenant_id"`,
    `  the ledger     onceload files${flag} --tenant acme`,
    `  the load log   onceload log${flag} --tenant acme (one row per file version; the table onceload_load_log, in SQL too)`,
    ...(runId ? [`  the run        onceload status ${runId}${flag} (kept in ${shown}/s3/${config.runsBucket}/runs/${runId}/; onceload runs${flag} lists every run)`] : []),
    `  in a browser   onceload console${flag}, then open http://127.0.0.1:${DEFAULT_CONSOLE_PORT}/ (runs, their state graphs and reports, the ledger)`,
    `  your own data  onceload tenants add <tenant-id>${flag}, drop files in ${shown}/landing/<tenant-id>/canonical/<table>/, then onceload run${flag}`,
  ].join('\n');
}
