/** The words of live progress: one line for the landing sync, one for the load. Pure, so tests pin them. */
import type { SyncProgress } from '../local/landing-sync.js';
import type { LoadSnapshot } from '../local/load-progress.js';

const n = (value: number) => value.toLocaleString('en-US');

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 || value >= 10 ? Math.round(value) : value.toFixed(1).replace(/\.0$/, '')} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function syncText(p: SyncProgress): string {
  return `syncing landing: ${n(p.files)}/${n(p.filesTotal)} files | ${formatBytes(p.bytes)} of ${formatBytes(p.bytesTotal)}`;
}

/** Bytes of the planned files loaded or read so far. */
export const bytesDone = (s: LoadSnapshot) => Math.min(s.done.bytes + s.reading.bytes, s.planned.bytes);

/** Seconds left at the rate so far, once Plan has said how many bytes there are and some are done. */
export function etaSeconds(s: LoadSnapshot, now: number): number | undefined {
  const done = bytesDone(s);
  const elapsed = (now - (s.startedAt ?? now)) / 1000;
  if (s.planned.bytes === 0 || done === 0 || elapsed <= 0) return undefined;
  return (s.planned.bytes - done) / (done / elapsed);
}

export function loadText(s: LoadSnapshot, now: number): string {
  if (s.planned.files === 0) return 'planning...';
  const eta = etaSeconds(s, now);
  return [
    `loading: ${n(s.done.files)}/${n(s.planned.files)} files`,
    `${n(s.done.rows + s.reading.rows)} rows`,
    `${formatBytes(bytesDone(s))} of ${formatBytes(s.planned.bytes)}`,
    ...(eta === undefined ? [] : [`ETA ${formatDuration(eta)}`]),
  ].join(' | ');
}

/** The one line Ctrl-C prints: what was interrupted, how far it got, and that the next run goes on. */
export function interruptedText(runs: readonly string[], phase: 'sync' | 'load', sync: SyncProgress | undefined, load: LoadSnapshot): string {
  const named = `run ${runs.join(', ')}`;
  if (phase === 'sync') {
    const copied = sync ? ` (${n(sync.files)} of ${n(sync.filesTotal)} files checked or copied)` : '';
    return `interrupted the landing sync${copied} before ${named} started; the next \`onceload run\` syncs the rest and loads`;
  }
  return `interrupted ${named}: ${n(load.done.files)} of ${n(load.planned.files)} planned file(s) done; the next \`onceload run\` resumes it`;
}
