import { describe, expect, it } from 'vitest';
import { readMapResults, readReport, writeDiscovery, writeReport } from '../../src/lib/run-files.js';
import { MAX_SUMMARY_BYTES, summarise } from '../../src/lib/run-summary.js';
import { renderReport } from '../../src/lib/report-text.js';
import type { RunReport } from '../../src/lib/validate.js';
import type { RunStore } from '../../src/ports.js';

function memoryRuns(bucket = 'runs-bucket'): RunStore & { objects: Map<string, string> } {
  const objects = new Map<string, string>();
  return {
    bucket,
    objects,
    async put(key, body) {
      objects.set(key, body);
    },
    async get(key) {
      return objects.get(key);
    },
    async folders(prefix) {
      const under = [...objects.keys()].filter((k) => k.startsWith(prefix)).map((k) => `${prefix}${k.slice(prefix.length).split('/')[0]}/`);
      return [...new Set(under)].sort();
    },
  };
}

describe("a run's objects in the runs bucket", () => {
  it('Discover writes the items as JSON lines and returns only their location, whatever their number', async () => {
    const runs = memoryRuns();
    const items = Array.from({ length: 40_000 }, (_, i) => ({ tenant: `t${i}`, table: 'companies' }));
    const out = await writeDiscovery(runs, {
      runId: 'r1', dryRun: false, tables: ['companies'], items, due: false, notDue: [], scheduled: [], ignored: { count: 0, sample: [] }, disabledWithFiles: [],
    }, 8);
    expect(out).toEqual({ runId: 'r1', dryRun: false, tables: ['companies'], items: 40_000, manifest: { Bucket: 'runs-bucket', Key: 'runs/r1/items.jsonl' }, maxConcurrency: 8 });
    const lines = runs.objects.get('runs/r1/items.jsonl')!.trimEnd().split('\n');
    expect(lines).toHaveLength(40_000);
    expect(JSON.parse(lines[39_999]!)).toEqual({ tenant: 't39999', table: 'companies', marked: false, startPoint: null });
    expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThan(300);
  });

  it("reads every result file the Map run wrote, and reports a child that did not succeed as its item's failure", async () => {
    const runs = memoryRuns();
    const ok = { tenant: 'a', table: 'companies', countsAtStart: { listed: 1, toLoad: 1, unchanged: 0, failedBefore: 0 } };
    runs.objects.set('map-runs/u1/manifest.json', JSON.stringify({ ResultFiles: { SUCCEEDED: [{ Key: 'map-runs/u1/SUCCEEDED_0.json' }], FAILED: [{ Key: 'map-runs/u1/FAILED_0.json' }], PENDING: [] } }));
    runs.objects.set('map-runs/u1/SUCCEEDED_0.json', JSON.stringify([{ Status: 'SUCCEEDED', Output: JSON.stringify(ok) }]));
    runs.objects.set('map-runs/u1/FAILED_0.json', JSON.stringify([{ Status: 'FAILED', Input: JSON.stringify({ tenant: 'b', table: 'tickets' }), Error: 'States.Timeout', Cause: 'took too long' }]));
    const items = await readMapResults(runs, { ResultWriterDetails: { Bucket: 'runs-bucket', Key: 'map-runs/u1/manifest.json' } });
    expect(items).toEqual([ok, { tenant: 'b', table: 'tickets', failure: { Error: 'States.Timeout', Cause: 'took too long' } }]);
    await expect(readMapResults(runs, { ResultWriterDetails: { Bucket: 'elsewhere', Key: 'map-runs/u1/manifest.json' } })).rejects.toThrow(/not the runs bucket runs-bucket/);
    await expect(readMapResults(runs, { ResultWriterDetails: { Bucket: 'runs-bucket', Key: 'map-runs/u2/manifest.json' } })).rejects.toThrow(/is missing/);
  });

  it('keeps the full report in the bucket and returns a summary under 8 KiB that says where it is, however many failures', async () => {
    const runs = memoryRuns();
    const failures = Array.from({ length: 5_000 }, (_, i) => ({ tenant: `t${i}`, table: 'companies' as const, key: `t${i}/canonical/companies/f.jsonl`, error: 'x'.repeat(300) }));
    const base: Omit<RunReport, 'text'> = {
      ok: false,
      runId: 'r2',
      dryRun: false,
      totals: { items: 5_000, listed: 5_000, loaded: 0, byOther: 0, rows: 0, failed: 5_000, unchanged: 0, failedBefore: 0, superseded: 0, wouldLoad: 0, ignored: 0, skipped: 0, deferred: 0 },
      ignored: [],
      items: [],
      failures,
      checks: [{ name: 'files', ok: false, detail: '5000 file(s) failed', problems: failures.map((f) => `${f.key}: ${f.error}`) }],
      warnings: Array.from({ length: 500 }, (_, i) => `warning ${i}`),
      notDue: [],
      cost: { seconds: 1, warehouseQueries: 1, ledgerReads: 1 },
    };
    const report: RunReport = { ...base, text: renderReport(base) };
    const location = await writeReport(runs, report);
    expect(location).toEqual({ Bucket: 'runs-bucket', Key: 'runs/r2/report.json' });
    expect((await readReport(runs, 'r2'))?.failures).toHaveLength(5_000);
    const summary = summarise(report, location);
    expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThan(MAX_SUMMARY_BYTES);
    expect(summary).toMatchObject({ ok: false, failures: 5_000, warnings: 500, checks: [{ name: 'files', ok: false, problems: 5_000 }] });
    expect(summary.text).toContain('FAIL files: 5000 file(s) failed');
    expect(summary.text).toContain('full report: s3://runs-bucket/runs/r2/report.json');
    expect(await readReport(runs, 'no-such-run')).toBeUndefined();
  });
});
