import { describe, expect, it } from 'vitest';
import { earlierRunning } from '../../src/lib/tick.js';
import type { RunningExecution } from '../../src/ports.js';

const directory = (running: RunningExecution[]) => ({ running: async () => running });
const self = { stateMachine: 'arn:sm', name: 'tick-b', startedAt: '2026-03-01T10:15:00.000Z' };

describe('a scheduled tick behind an earlier execution', () => {
  it('names the earliest execution started before it that is still running', async () => {
    const running = [
      { name: 'tick-b', startedAt: self.startedAt },
      { name: 'later', startedAt: '2026-03-01T10:16:00.000Z' },
      { name: 'hand', startedAt: '2026-03-01T10:10:00.000Z' },
      { name: 'tick-a', startedAt: '2026-03-01T10:00:00.000Z' },
    ];
    expect(await earlierRunning(self, directory(running))).toBe('tick-a');
  });

  it('goes on when only itself or later executions run, and of two started at the same instant only the second by name skips', async () => {
    expect(await earlierRunning(self, directory([{ name: 'tick-b', startedAt: self.startedAt }, { name: 'later', startedAt: '2026-03-01T10:16:00.000Z' }]))).toBeUndefined();
    expect(await earlierRunning(self, directory([{ name: 'tick-a', startedAt: self.startedAt }]))).toBe('tick-a');
    expect(await earlierRunning({ ...self, name: 'tick-a' }, directory([{ name: 'tick-b', startedAt: self.startedAt }]))).toBeUndefined();
  });
});
