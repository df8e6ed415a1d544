import { CANONICAL_TABLES } from '../../src/table-config.js';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { assertTenantId, parseExecutionInput } from '../../src/lib/execution-input.js';

function fieldOf(input: unknown): string | undefined {
  try {
    parseExecutionInput(input, CANONICAL_TABLES);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).field;
  }
  return undefined;
}

describe('the execution input', () => {
  it('accepts an empty input and a full one', () => {
    expect(parseExecutionInput({}, CANONICAL_TABLES)).toEqual({});
    expect(parseExecutionInput(undefined, CANONICAL_TABLES)).toEqual({});
    expect(parseExecutionInput({ tenants: ['acme', 'b-2_c'], tables: ['companies'], dryRun: true }, CANONICAL_TABLES)).toEqual({ tenants: ['acme', 'b-2_c'], tables: ['companies'], dryRun: true });
  });

  it('takes due, alone or with tenants (the due ones among them)', () => {
    expect(parseExecutionInput({ due: true }, CANONICAL_TABLES)).toEqual({ due: true });
    expect(parseExecutionInput({ due: false }, CANONICAL_TABLES)).toEqual({ due: false });
    expect(parseExecutionInput({ due: true, tenants: ['acme'] }, CANONICAL_TABLES)).toEqual({ due: true, tenants: ['acme'] });
  });

  it('lists due among the fields it takes when it refuses an unknown one', () => {
    expect(() => parseExecutionInput({ Due: true }, CANONICAL_TABLES)).toThrow(/takes tenants, tables, dryRun and due/);
  });

  it.each([
    [{ tenant: ['acme'] }, 'tenant'],
    [{ tenants: 'acme' }, 'tenants'],
    [{ dryRun: 'yes' }, 'dryRun'],
    [{ due: 'yes' }, 'due'],
    [{ due: 1 }, 'due'],
    [{ tables: ['companies', 'invoices'] }, 'tables[1]'],
    [{ tenants: ["acme'; DROP TABLE companies"] }, 'tenants[0]'],
    [{ tenants: ['Acme'] }, 'tenants[0]'],
    [{ tenants: [] }, 'tenants'],
  ])('refuses %j naming the field %s', (input, field) => {
    expect(fieldOf(input)).toBe(field);
  });

  it('refuses tenant ids with quotes, semicolons, slashes or capitals', () => {
    for (const id of ["a'b", 'a;b', 'a/b', 'A', '', '-a']) expect(() => assertTenantId(id)).toThrow(InputError);
    expect(assertTenantId('acme-1_x')).toBe('acme-1_x');
  });
});
