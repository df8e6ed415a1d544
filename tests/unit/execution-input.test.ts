import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { assertTenantId, parseExecutionInput } from '../../src/lib/execution-input.js';

function fieldOf(input: unknown): string | undefined {
  try {
    parseExecutionInput(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).field;
  }
  return undefined;
}

describe('the execution input', () => {
  it('accepts an empty input and a full one', () => {
    expect(parseExecutionInput({})).toEqual({});
    expect(parseExecutionInput(undefined)).toEqual({});
    expect(parseExecutionInput({ tenants: ['acme', 'b-2_c'], tables: ['companies'], dryRun: true })).toEqual({ tenants: ['acme', 'b-2_c'], tables: ['companies'], dryRun: true });
  });

  it.each([
    [{ tenant: ['acme'] }, 'tenant'],
    [{ tenants: 'acme' }, 'tenants'],
    [{ dryRun: 'yes' }, 'dryRun'],
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
