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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
      if (holder && holder !== process.pid && alive(holder)) {
        throw new DataDirBusyError(`the data dir ${dataDir} is in use by another onceload process (pid ${holder}); wait for it to finish`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirBusyError(`could not lock the data dir ${dataDir}`);
}
