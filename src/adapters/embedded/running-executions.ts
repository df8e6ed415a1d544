/**
 * The ExecutionDirectory port of the embedded runtime: the executions this process is running.
 * The data dir's lock keeps every execution of a data dir in one process.
 */
import type { ExecutionDirectory, RunningExecution } from '../../ports.js';

const running = new Map<string, string>();

/** Called by the local state machine as an execution starts; the returned function, as it ends. */
export function registerExecution(name: string, startedAt: string): () => void {
  running.set(name, startedAt);
  return () => running.delete(name);
}

export const embeddedExecutions: ExecutionDirectory = {
  async running(): Promise<RunningExecution[]> {
    return [...running].map(([name, startedAt]) => ({ name, startedAt }));
  },
};
