/**
 * A fault at each step of a Load, for each way a file is loaded: in-engine, in a one-block unit
 * with other small files, or alone, in blocks; or streamed through the Load, in chunks. Each test
 * file runs one path in its own process.
 */
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../src/ports.js';
import { useFaultHarness } from './fault-harness.js';
import { errors, isTableInsert, type Call, type Fault } from './faults.js';
import { report } from './harness.js';

export type LoadPath = 'unit' | 'alone' | 'streamed-unit' | 'streamed-alone';

/** Files of 250 rows are about 17 KB: a 4 KB unit bound makes each load alone. */
const PATH_ENV: Record<LoadPath, Record<string, string>> = {
  unit: {},
  alone: { ONCELOAD_BATCH_MAX_BYTES: '4096' },
  'streamed-unit': { ONCELOAD_LOAD_PATH: 'streamed' },
  'streamed-alone': { ONCELOAD_LOAD_PATH: 'streamed', ONCELOAD_STREAM_CHUNK_BYTES: '4096' },
};

const DESCRIPTION: Record<LoadPath, string> = {
  unit: 'in-engine, files in one unit',
  alone: 'in-engine, each file alone',
  'streamed-unit': 'streamed through the Load, files in one unit',
  'streamed-alone': 'streamed through the Load, each file alone in chunks',
};

const inUnit = (path: LoadPath) => path === 'unit' || path === 'streamed-unit';

export function loadFaultSuite(path: LoadPath): void {
  const t = useFaultHarness(path, PATH_ENV[path]);
  // Each file went the way this suite tests: in a unit of several files, or alone.
  const wentThisWay = async (e: LedgerEntry) => e.unit !== undefined && (await t.deps.ledger.getUnit(e.tenant, e.table, e.unit))?.mode === (inUnit(path) ? 'unit' : 'alone');

  const ledgerWrite = (status: string) => (call: Call) =>
    call.operation === 'UpdateItemCommand' && call.target === t.deps.config.ledgerTable && JSON.stringify(call.input.ExpressionAttributeValues ?? {}).includes(`"${status}"`);
  const idempotencyCompletion = (call: Call) =>
    call.operation === 'UpdateItemCommand' &&
    call.target === t.deps.config.idempotencyTable &&
    JSON.stringify(call.input.Key ?? {}).includes('onceload.load#');
  /** The second insert into the table of the run: a later block of a file in several. */
  const secondTableInsert = () => {
    let seen = 0;
    return (call: Call) => isTableInsert(call) && ++seen === 2;
  };

  const steps: [string, () => Fault][] = [
    ['before the insert', () => ({ store: 'clickhouse', when: isTableInsert, error: errors.clickhouseNetwork })],
    ['after the insert landed, reported failed', () => ({ store: 'clickhouse', when: isTableInsert, errorAfter: errors.clickhouseNetwork })],
    ['after the insert, before the ledger write', () => ({ store: 'dynamodb', when: ledgerWrite('loaded'), error: errors.connectionReset })],
    ['after the ledger write, before the Load\'s idempotency record is completed', () => ({ store: 'dynamodb', when: idempotencyCompletion, errorAfter: errors.serverError })],
    // The function's 2 s run out while its insert hangs: it is tried again, waits for its own claims to go stale, finishes the
    // files, and the first insert, landing late, is dropped.
    [
      'a Load that runs out of time mid-insert',
      () => ({ store: 'clickhouse', when: isTableInsert, hold: new Promise((resolve) => setTimeout(resolve, 3500)), ended: () => lateInsertLanded() }),
    ],
  ];
  let lateInsertLanded = () => {};
  if (path === 'streamed-alone') {
    // 250 rows in chunks of 4 KB: the second chunk lands, the Load never hears, and the retry sends them all again.
    steps.push(['after the second of several chunks landed, reported failed', () => ({ store: 'clickhouse', when: secondTableInsert(), errorAfter: errors.clickhouseNetwork })]);
  }
  if (path.startsWith('streamed')) {
    steps.push(['S3 connection reset while the Load reads the file', () => ({ store: 's3', when: (call) => call.operation === 'GetObjectCommand', error: errors.connectionReset })]);
  }
  if (path === 'alone') {
    steps.push([
      'during a multi-block insert (the first blocks committed)',
      () => ({
        store: 'clickhouse',
        when: isTableInsert,
        // The same statement cut short after two of its three blocks, then the connection drops.
        rewriteSql: (sql) => sql.replace(/\sSETTINGS /, ' LIMIT 200 SETTINGS '),
        errorAfter: errors.clickhouseNetwork,
      }),
    ]);
  }

  describe(`a fault at each step of a Load (${DESCRIPTION[path]}) leaves every file inserted exactly once`, () => {
    it.each(steps)('%s', async (_step, fault) => {
      const { tenant, rows } = await t.tenantWithFiles();
      const late = new Promise<void>((resolve) => (lateInsertLanded = resolve));
      const produced = fault();
      const injected = t.faults.add(produced);
      const result = report(await t.h.run({ tenants: [tenant] }));
      expect(injected.fired()).toBe(1);
      expect(result.ok).toBe(true);
      // An insert that outlived its Load lands late: the counts below are taken after it.
      if (produced.ended) await late;
      await t.expectExactlyOnce(tenant, rows, wentThisWay);
    });
  });

  if (inUnit(path)) {
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
