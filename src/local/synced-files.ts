/**
 * What the landing sync last saw of each file it left in the local S3: the file's size and
 * modification time, and the object's ETag. A file that still shows both, beside an object
 * still holding that ETag, is the same file, and the next sync does not read it to compare.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface SyncedFile {
  size: number;
  mtimeMs: number;
  etag: string;
}

/**
 * A file modified within this long before a sync started may be modified again within the
 * same timestamp after it (coarse file system clocks): it is not recorded, so the next sync reads it.
 */
export const RACY_MS = 2000;

/** The record, by key; none (or one that cannot be read) is an empty one: every file is compared by MD5. */
export function readSyncedFiles(path: string): Map<string, SyncedFile> {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { files?: Record<string, SyncedFile> };
    const files = new Map<string, SyncedFile>();
    for (const [key, f] of Object.entries(parsed.files ?? {})) {
      if (typeof f?.size === 'number' && typeof f.mtimeMs === 'number' && typeof f.etag === 'string') files.set(key, f);
    }
    return files;
  } catch {
    return new Map();
  }
}

/** Replaces the record whole (written aside, then renamed, so a crash leaves the old one or the new one). */
export function writeSyncedFiles(path: string, files: Map<string, SyncedFile>, syncStartedAt: number): void {
  const kept: Record<string, SyncedFile> = {};
  for (const [key, f] of files) if (f.mtimeMs < syncStartedAt - RACY_MS) kept[key] = f;
  writeFileSync(`${path}.tmp`, JSON.stringify({ files: kept }));
  renameSync(`${path}.tmp`, path);
}
