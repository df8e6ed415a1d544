/**
 * One onceload process per data dir: LevelDB and chDB each lock their files, and a second
 * process would fail half-way. The lock names its holder; a holder that died (kill -9) is
 * detected by its pid and the lock taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirBusyError extends Error {
  override readonly name = 'DataDirBusyError';
}

/** Whether a process with this pid is running (one of another user's counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What to do about the holder: a console (its `console.json` names it) is stopped; a command is waited for. */
function heldBy(dataDir: string, holder: number): string {
  try {
    const held = JSON.parse(readFileSync(join(dataDir, 'console.json'), 'utf8')) as { pid?: number; url?: string };
    if (held.pid === holder) return `it is \`onceload console\` at ${held.url}: use the page, or stop the console (Ctrl-C) first`;
  } catch {
    // No console file: a command holds it.
  }
  return 'wait for it to finish';
}

export interface DataDirLock {
  unlock: () => void;
  /** The previous holder died holding the lock: its in-progress work may be left behind. */
  tookOverFromDeadHolder: boolean;
}

export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'onceload.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return { unlock: () => rmSync(path, { force: true }), tookOverFromDeadHolder: attempt > 0 };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (holder && holder !== process.pid && processAlive(holder)) {
        throw new DataDirBusyError(`the data dir ${dataDir} is in use by another onceload process (pid ${holder}); ${heldBy(dataDir, holder)}`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirBusyError(`could not lock the data dir ${dataDir}`);
}
