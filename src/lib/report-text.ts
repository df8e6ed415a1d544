/** The run report as a person reads it: in the CLI, and as the Fail state's cause on AWS. */
import type { RunReport } from './validate.js';

/** A terminal's worth: the structured report (--json) holds everything. */
const MAX_TEXT = 30_000;

const n = (value: number) => value.toLocaleString('en-US');

export function renderReport(report: Omit<RunReport, 'text'>): string {
  const t = report.totals;
  const lines: string[] = [];
  const verdict = report.ok ? 'OK' : 'FAILED';
  lines.push(`onceload run ${report.runId}${report.dryRun ? ' (dry run)' : ''}: ${verdict}`);
  if (report.skipped) lines.push(`  ${report.skipped}`);
  if (report.dryRun) {
    const skipped = t.skipped ? `, ${n(t.skipped)} skipped (before the start point)` : '';
    lines.push(`  ${n(t.items)} tenant x table item(s), ${n(t.listed)} file(s) listed, ${n(t.wouldLoad)} would load, ${n(t.unchanged)} unchanged${skipped}`);
  } else {
    // The rarer counters only when non-zero, so every listed file is accounted for without noise.
    const extra = [
      t.byOther ? `${n(t.byOther)} loaded by another execution` : '',
      `${n(t.failed)} failed`,
      t.failedBefore ? `${n(t.failedBefore)} failed before` : '',
      t.superseded ? `${n(t.superseded)} superseded` : '',
      t.deferred ? `${n(t.deferred)} left for the next run` : '',
      t.skipped ? `${n(t.skipped)} skipped (before the start point)` : '',
    ].filter(Boolean);
    lines.push(`  ${n(t.items)} tenant x table item(s): ${n(t.loaded)} file(s) loaded (${n(t.rows)} rows), ${extra.join(', ')}, ${n(t.unchanged)} unchanged, ${n(t.ignored)} ignored`);
  }
  const busy = report.items.filter((i) => i.loaded || i.byOther || i.failed || i.wouldLoad);
  if (busy.length > 0) {
    // The "by other" column only when another execution loaded some of this run's files.
    const other = busy.some((i) => i.byOther);
    lines.push('', `  tenant / table                          loaded       rows${other ? '  by other' : ''}  failed  would load`);
    for (const i of busy.slice(0, 40)) {
      const byOther = other ? ` ${n(i.byOther).padStart(9)}` : '';
      lines.push(`  ${`${i.tenant} / ${i.table}`.padEnd(38)} ${n(i.loaded).padStart(7)} ${n(i.rows).padStart(10)}${byOther} ${n(i.failed).padStart(7)} ${n(i.wouldLoad).padStart(11)}`);
    }
    if (busy.length > 40) lines.push(`  ... and ${busy.length - 40} more item(s)`);
  }
  if (report.wouldLoadFiles?.length) {
    lines.push('', `  would load ${n(report.wouldLoadFiles.length)} file(s):`);
    for (const f of report.wouldLoadFiles.slice(0, 40)) lines.push(`  - ${f.key} (${n(f.size)} bytes)`);
    if (report.wouldLoadFiles.length > 40) lines.push(`  ... and ${n(report.wouldLoadFiles.length - 40)} more (onceload run --dry-run --json lists every one)`);
  }
  const c = report.cost;
  lines.push('', `  checks (${c.seconds.toFixed(2)} s, ${n(c.warehouseQueries)} ClickHouse ${c.warehouseQueries === 1 ? 'query' : 'queries'}, ${n(c.ledgerReads)} ledger ${c.ledgerReads === 1 ? 'read' : 'reads'}):`);
  for (const c of report.checks) {
    lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    for (const p of c.problems) lines.push(`         - ${p}`);
  }
  if (report.notDue.length > 0) {
    lines.push('', `  not due, skipped: ${n(report.notDue.length)} tenant(s)`);
    for (const t of report.notDue.slice(0, 40)) lines.push(`  - ${t.tenant}: next due ${t.dueAt}`);
    if (report.notDue.length > 40) lines.push(`  ... and ${report.notDue.length - 40} more`);
  }
  if (report.warnings.length > 0) {
    lines.push('', '  warnings:');
    for (const w of report.warnings.slice(0, 50)) lines.push(`  - ${w}`);
    if (report.warnings.length > 50) lines.push(`  ... and ${report.warnings.length - 50} more (onceload run --json lists them all)`);
  }
  const text = lines.join('\n');
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n  ... (report truncated)` : text;
}
