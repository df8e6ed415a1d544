import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { checkFile } from '../../src/lib/check-file.js';
import { ScriptedWarehouse } from './fakes.js';

const ref = (key = 'acme/canonical/companies/a.jsonl') => ({ tenant: 'acme', table: 'companies' as const, key, etag: 'e' });

async function problem(warehouse: ScriptedWarehouse, key?: string, size = 10): Promise<PermanentError> {
  try {
    await checkFile(ref(key), size, warehouse);
  } catch (error) {
    expect(error).toBeInstanceOf(PermanentError);
    return error as PermanentError;
  }
  throw new Error('expected the file to be rejected');
}

describe('checkFile', () => {
  it('returns the rows of a good JSON lines file after one full read', async () => {
    const warehouse = new ScriptedWarehouse();
    expect(await checkFile(ref(), 10, warehouse)).toBe(3);
    expect(warehouse.calls).toEqual(['scanFile']);
  });

  it('uses the batch scan when it has one', async () => {
    const warehouse = new ScriptedWarehouse();
    expect(await checkFile(ref(), 10, warehouse, { rows: 9, missingId: 0, missingVersion: 0, foreignTenant: 0, misfits: 0 })).toBe(9);
    expect(warehouse.calls).toEqual([]);
  });

  it('rejects an empty file without reading it', async () => {
    const warehouse = new ScriptedWarehouse();
    expect((await problem(warehouse, undefined, 0)).code).toBe('EMPTY_FILE');
    expect(warehouse.calls).toEqual([]);
  });

  it('names an unknown column when the parser stops on it', async () => {
    const warehouse = new ScriptedWarehouse();
    warehouse.scan = new PermanentError('PARSE_ERROR', 'Unknown field found: created_date', { row: 1 });
    warehouse.columns = ['id', 'created_date', 'last_updated'];
    const error = await problem(warehouse);
    expect(error.code).toBe('UNKNOWN_COLUMN');
    expect(error.context.column).toBe('created_date');
    expect(error.message).toContain('acme/canonical/companies/a.jsonl');
    expect(error.message).toContain('"created_date" is not a column of companies');
  });

  it('keeps the parser error, with its row, when the columns are fine', async () => {
    const warehouse = new ScriptedWarehouse();
    warehouse.scan = new PermanentError('PARSE_ERROR', 'Cannot parse input', { row: 850 });
    const error = await problem(warehouse);
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.context.row).toBe(850);
  });

  it('checks a Parquet file\'s columns before reading it', async () => {
    const warehouse = new ScriptedWarehouse();
    warehouse.columns = ['id', 'last_updated', 'colour'];
    expect((await problem(warehouse, 'acme/canonical/companies/a.parquet')).code).toBe('UNKNOWN_COLUMN');
    expect(warehouse.calls).toEqual(['fileColumns']);
  });

  it('reports a missing id column, and a missing id value with its row', async () => {
    const absent = new ScriptedWarehouse();
    absent.columns = ['name', 'last_updated'];
    absent.scan = { rows: 2, missingId: 2, missingVersion: 0, foreignTenant: 0, misfits: 0 };
    expect((await problem(absent)).code).toBe('MISSING_COLUMN');

    const one = new ScriptedWarehouse();
    one.scan = { rows: 5, missingId: 1, missingVersion: 0, foreignTenant: 0, misfits: 0 };
    one.row = 4;
    const error = await problem(one);
    expect([error.code, error.context.row, error.context.column]).toEqual(['MISSING_VALUE', 4, 'id']);
  });

  it('rejects rows claiming another tenant, and a file with no rows', async () => {
    const foreign = new ScriptedWarehouse();
    foreign.scan = { rows: 5, missingId: 0, missingVersion: 0, foreignTenant: 2, misfits: 0 };
    expect((await problem(foreign)).code).toBe('FOREIGN_TENANT');
    const empty = new ScriptedWarehouse();
    empty.scan = { rows: 0, missingId: 0, missingVersion: 0, foreignTenant: 0, misfits: 0 };
    expect((await problem(empty)).code).toBe('EMPTY_FILE');
  });
});
