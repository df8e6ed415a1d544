/**
 * The execution input, checked before any work: unknown fields, wrong types and malformed
 * names are refused with a message naming the field.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { TableCatalog, TableName } from '../tables.js';

/** Tenant ids become S3 prefixes and ledger keys: lowercase letters, digits, `-` and `_`. */
export const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const tenantId = z.string().regex(TENANT_ID, 'a tenant id is 1-63 lowercase letters, digits, - or _, starting with a letter or digit');
/** The input's schema; `tables` names configured tables only. */
export function executionInputSchema(tables: TableCatalog) {
  const tableName = z.enum(tables.names as [string, ...string[]], { error: `expected one of ${tables.names.join(', ')}` });
  return z.strictObject({
    tenants: z.array(tenantId).min(1).optional(),
    tables: z.array(tableName).min(1).optional(),
    dryRun: z.boolean().optional(),
    due: z.boolean().optional(),
  });
}

export interface ExecutionInput {
  tenants?: string[];
  tables?: TableName[];
  dryRun?: boolean;
  /** Only the tenants whose schedule says they are due (the schedule rule's input). */
  due?: boolean;
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

export function parseExecutionInput(input: unknown, tables: TableCatalog): ExecutionInput {
  const parsed = executionInputSchema(tables).safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const field = fieldOf(issue.path) || issue.keys[0];
    throw new InputError(`unknown field(s) ${issue.keys.join(', ')}; the execution input takes tenants, tables, dryRun and due`, field);
  }
  throw new InputError(issue.message, fieldOf(issue.path) || 'input');
}

export function assertTenantId(id: string): string {
  if (!TENANT_ID.test(id)) {
    throw new InputError(`${JSON.stringify(id)} is not a valid tenant id: use 1-63 lowercase letters, digits, - or _`, 'tenant');
  }
  return id;
}
