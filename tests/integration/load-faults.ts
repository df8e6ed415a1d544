/**
 * A fault at each step of a Load, for each way a file is loaded: in a one-block unit with other
 * small files, or alone, in blocks. Each test file runs one path in its own process.
 */
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../src/ports.js';
import { useFaultHarness } from './fault-harness.js';
import { errors, isInsert, type Call, type Fault } from './faults.js';
import { report } from './harness.js';

export type LoadPath = 'unit' | 'alone';

/** Files of 250 rows are about 17 KB: a 4 KB unit bound makes each load alone. */
const PATH_ENV: Record<LoadPath, Record<string, string>> = { unit: {}, alone: { ONCELOAD_BATCH_MAX_BYTES: '4096' } };

export function loadFaultSuite(path: LoadPath): void {
  const t = useFaultHarness(path, PATH_ENV[path]);
  // Each file went the way this suite tests: alone, or in a unit.
  const wentThisWay = (e: LedgerEntry) => (e.unit === undefined) === (path === 'alone');

  const ledgerWrite = (status: string) => (call: Call) =>
    call.operation === 'UpdateItemCommand' && call.target === t.deps.config.ledgerTable && JSON.stringify(call.input.ExpressionAttributeValues ?? {}).includes(`"${status}"`);
  const idempotencyCompletion = (call: Call) =>
    call.operation === 'UpdateItemCommand' &&
    call.target === t.deps.config.idempotencyTable &&
    JSON.stringify(call.input.Key ?? {}).includes(path === 'unit' ? 'onceload.load-unit' : 'onceload.load-file');

  const steps: [string, () => Fault][] = [
    ['before the insert', () => ({ store: 'clickhouse', when: isInsert, error: errors.clickhouseNetwork })],
    ['after the insert landed, reported failed', () => ({ store: 'clickhouse', when: isInsert, errorAfter: errors.clickhouseNetwork })],
    ['after the insert, before the ledger write', () => ({ store: 'dynamodb', when: ledgerWrite('loaded'), error: errors.connectionReset })],
    ['after the ledger write, before the idempotency record is completed', () => ({ store: 'dynamodb', when: idempotencyCompletion, errorAfter: errors.serverError })],
  ];
  if (path === 'alone') {
    steps.push([
      'during a multi-block insert (the first blocks committed)',
      () => ({
        store: 'clickhouse',
        when: isInsert,
        // The same statement cut short after two of its three blocks, then the connection drops.
        rewriteSql: (sql) => sql.replace(/\sSETTINGS /, ' LIMIT 200 SETTINGS '),
        errorAfter: errors.clickhouseNetwork,
      }),
    ]);
  }

  describe(`a fault at each step of a Load (${path === 'unit' ? 'files in one unit' : 'each file alone'}) leaves every file inserted exactly once`, () => {
    it.each(steps)('%s', async (_step, fault) => {
      const { tenant, rows } = await t.tenantWithFiles();
      const injected = t.faults.add(fault());
      const result = report(await t.h.run({ tenants: [tenant] }));
      expect(injected.fired()).toBe(1);
      expect(result.ok).toBe(true);
      await t.expectExactlyOnce(tenant, rows, wentThisWay);
    });
  });

  if (path === 'unit') {
    it('inserts a unit as one part, whatever order its files are read in', async () => {
      const parts = async () => Number((await t.h.query<{ n: string }>("SELECT count() AS n FROM system.parts WHERE table = 'companies' AND active"))[0]?.n);
      const before = await parts();
      const { tenant, rows } = await t.tenantWithFiles(10);
      expect(report(await t.h.run({ tenants: [tenant] })).totals.loaded).toBe(10);
      expect(await t.h.rawCount('companies', tenant)).toBe(rows);
      expect(await parts()).toBe(before + 1);
    });
  }
}
