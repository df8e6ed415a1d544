/**
 * A scheduled tick that finds an earlier execution still running skips itself: ticks never pile
 * up behind a long run (each would plan the same files and wait on the same claims). A run
 * started by hand is never skipped, and is counted as an earlier run by a tick.
 */
import type { ExecutionDirectory } from '../ports.js';

export interface Self {
  /** The state machine (`$$.StateMachine.Id`). */
  stateMachine: string;
  /** This execution's name and ISO start time. */
  name: string;
  startedAt: string;
}

/** The earliest other execution started before this one and still running, if any. */
export async function earlierRunning(self: Self, executions: ExecutionDirectory): Promise<string | undefined> {
  const before = (e: { name: string; startedAt: string }) => e.startedAt < self.startedAt || (e.startedAt === self.startedAt && e.name < self.name);
  const earlier = (await executions.running(self.stateMachine)).filter((e) => e.name !== self.name && before(e));
  earlier.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  return earlier[0]?.name;
}
