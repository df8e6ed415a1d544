/**
 * Runs started from the console, in its own process: the landing sync and the execution that
 * `onceload run` does, one run at a time, so the page can follow it live.
 */
import { assertClickHouseAnswers } from '../cli/clickhouse-target.js';
import { InputError } from '../errors.js';
import { newExecutionName, type LocalRuntime } from '../local/runtime.js';

export class RunBusyError extends Error {
  override readonly name = 'RunBusyError';
}

/** A run the console started that is not (or not yet) an execution: syncing, or failed before it began. */
export interface PendingRun {
  runId: string;
  startedAt: string;
  status: 'STARTING' | 'FAILED';
  error?: string;
}

export class ConsoleRuns {
  readonly #runtime: LocalRuntime;
  #current: string | undefined;
  /** Runs between their start and their execution's first event, and those that never got there. */
  readonly #pending = new Map<string, PendingRun>();

  constructor(runtime: LocalRuntime) {
    this.#runtime = runtime;
  }

  get current(): string | undefined {
    return this.#current;
  }

  pending(runId: string): PendingRun | undefined {
    return this.#pending.get(runId);
  }

  allPending(): PendingRun[] {
    return [...this.#pending.values()];
  }

  /** Starts a run and returns its id at once; the execution itself validates the input. */
  async start(input: Record<string, unknown>): Promise<string> {
    if (this.#current) throw new RunBusyError(`run ${this.#current} is under way; start another once it has ended`);
    const deps = await this.#runtime.deps();
    if ((await deps.tenants.list()).length === 0) {
      throw new InputError(`no tenants in the data dir ${this.#runtime.dataDir}: add one with \`onceload tenants add <tenant-id>\` (stop the console first), or try \`onceload demo\``);
    }
    const runId = newExecutionName();
    this.#current = runId;
    const startedAt = new Date().toISOString();
    this.#pending.set(runId, { runId, startedAt, status: 'STARTING' });
    void this.#run(runId, startedAt, input).finally(() => (this.#current = undefined));
    return runId;
  }

  async #run(runId: string, startedAt: string, input: Record<string, unknown>): Promise<void> {
    try {
      await assertClickHouseAnswers(await this.#runtime.deps());
      // Objects producers wrote through the S3 API have no file in landing/: the sync keeps them.
      await this.#runtime.syncLanding(undefined, { deleteMissing: false });
      const execution = this.#runtime.execute(input, { executionName: runId });
      this.#pending.delete(runId);
      await execution;
    } catch (error) {
      this.#pending.set(runId, { runId, startedAt, status: 'FAILED', error: error instanceof Error ? error.message : String(error) });
    }
  }
}
