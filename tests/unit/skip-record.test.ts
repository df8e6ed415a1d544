/** A skipped version is recorded, and so logged, once: by one of two executions planning its folder at once. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FileVersion } from '../../src/ports.js';
import { openLedgerBed, type LedgerBed } from './protocol-harness.js';

let bed: LedgerBed;
beforeAll(async () => {
  bed = await openLedgerBed();
});
afterAll(async () => bed?.close());

const version = (key: string, etag = 'e1'): FileVersion => ({ tenant: 'acme', table: 'companies', key: `acme/canonical/companies/${key}`, etag, size: 10, generation: 0 });

it('lets the first run record a skip, and no one record it again', async () => {
  const file = version('a.jsonl');
  expect(await bed.ledger.recordSkipped(file, 'run-1', bed.clock.now)).toBe(true);
  // Two executions planned the same folder at once: the second finds the skip recorded.
  expect(await bed.ledger.recordSkipped(file, 'run-2', bed.clock.now)).toBe(false);
  // A retried round reads the ledger again and finds it; were it to ask, it would be told no too.
  expect(await bed.ledger.recordSkipped(file, 'run-1', bed.clock.now)).toBe(false);
  expect(await bed.ledger.get(file)).toMatchObject({ status: 'skipped', etag: 'e1', runId: 'run-1' });
});

it('records a skip of a new version of a key skipped before, whichever run plans it', async () => {
  const file = version('b.jsonl');
  expect(await bed.ledger.recordSkipped(file, 'run-1', bed.clock.now)).toBe(true);
  expect(await bed.ledger.recordSkipped({ ...file, etag: 'e2' }, 'run-2', bed.clock.now)).toBe(true);
  expect(await bed.ledger.get(file)).toMatchObject({ status: 'skipped', etag: 'e2', runId: 'run-2' });
});
