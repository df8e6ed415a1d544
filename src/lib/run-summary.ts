/**
 * What the Validate state returns: the verdict, the totals and each check's figures, with the
 * location of the full report. Bounded whatever the run's size, so it fits a state's payload
 * and a Fail state's cause; `onceload run` and `status` print the full report from the bucket.
 */
import type { RunObject } from './run-layout.js';
import type { Check, RunReport } from './validate.js';

/** The summary stays under this many bytes of JSON (Step Functions allows 256 KiB). */
export const MAX_SUMMARY_BYTES = 8 * 1024;

const PROBLEMS_SHOWN = 2;
const FAILURES_SHOWN = 3;
const LINE_CHARS = 200;

export interface RunSummary {
  ok: boolean;
  runId: string;
  dryRun: boolean;
  skipped?: string;
  totals: RunReport['totals'];
  checks: (Pick<Check, 'name' | 'ok' | 'detail'> & { problems: number })[];
  failures: number;
  warnings: number;
  /** Where the full report is. */
  report: RunObject;
  text: string;
}

const cut = (line: string) => (line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS)}...` : line);

function summaryText(report: RunReport, location: RunObject): string {
  // The full text's first lines (verdict, totals), then each check with a few of its problems.
  const lines = [...(report.text.split('\n\n')[0] ?? '').split('\n'), '', '  checks:'];
  for (const c of report.checks) {
    lines.push(cut(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`));
    for (const p of c.problems.slice(0, PROBLEMS_SHOWN)) lines.push(cut(`         - ${p}`));
    if (c.problems.length > PROBLEMS_SHOWN) lines.push(`         ... and ${c.problems.length - PROBLEMS_SHOWN} more`);
  }
  if (report.failures.length > 0) {
    lines.push('', `  ${report.failures.length} failure(s), e.g.:`);
    for (const f of report.failures.slice(0, FAILURES_SHOWN)) lines.push(cut(`  - ${f.tenant}/${f.table}${f.key ? ` ${f.key}` : ''}: ${f.error}`));
  }
  if (report.warnings.length > 0) lines.push('', `  ${report.warnings.length} warning(s), e.g. ${cut(report.warnings[0]!)}`);
  lines.push('', `  full report: s3://${location.Bucket}/${location.Key} (onceload status ${report.runId})`);
  return lines.join('\n');
}

export function summarise(report: RunReport, location: RunObject): RunSummary {
  return {
    ok: report.ok,
    runId: report.runId,
    dryRun: report.dryRun,
    ...(report.skipped ? { skipped: report.skipped } : {}),
    totals: report.totals,
    checks: report.checks.map((c) => ({ name: c.name, ok: c.ok, detail: cut(c.detail), problems: c.problems.length })),
    failures: report.failures.length,
    warnings: report.warnings.length,
    report: location,
    text: summaryText(report, location),
  };
}
