/**
 * Which ClickHouse the CLI talks to, said in one line, and a check that a server answers before
 * a run starts: a server that is down otherwise costs every Load's retries before the run fails.
 */
import type { OnceloadConfig } from '../config.js';
import { redactSecrets } from '../lib/redact.js';
import type { Deps } from '../runtime/deps.js';

/** A server's reply to the check comes well within this, or it is taken as unreachable. */
const PING_TIMEOUT_MS = 10_000;

export class ClickHouseUnreachableError extends Error {
  override readonly name = 'ClickHouseUnreachableError';
}

export function describeClickHouse(config: OnceloadConfig): string {
  const target = config.clickhouse;
  if (target.kind === 'chdb') return `the embedded ClickHouse (chDB) in ${target.path}`;
  if (target.kind === 'server') return `the ClickHouse server at ${redactSecrets(target.url)} (database ${target.database})`;
  if (target.kind === 'none') return 'no ClickHouse (ONCELOAD_CLICKHOUSE=none)';
  return `the ClickHouse server of the secret ${target.secretName}`;
}

/** Resolves when ClickHouse answers a query; else throws one line naming the server (no password). */
export async function assertClickHouseAnswers(deps: Pick<Deps, 'config' | 'clickhouse'>): Promise<void> {
  if (deps.config.clickhouse.kind === 'chdb') return;
  const result = await deps.clickhouse.ping({ select: true, abort_signal: AbortSignal.timeout(PING_TIMEOUT_MS) });
  if (result.success) return;
  const error = result.error as Error & { code?: string; cause?: { code?: string } };
  const errno = [error.code, error.cause?.code].find((code) => typeof code === 'string' && /^E[A-Z_]+$/.test(code));
  const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
  const reason = timedOut ? `no answer in ${PING_TIMEOUT_MS / 1000} s` : (errno ?? error.message.split('\n')[0]);
  const check = deps.config.clickhouse.kind === 'secret' ? "check the secret's url and that this machine reaches that server" : 'check ONCELOAD_CLICKHOUSE_URL and the server';
  throw new ClickHouseUnreachableError(`cannot reach ${describeClickHouse(deps.config)}: ${redactSecrets(String(reason))}; ${check}`);
}
