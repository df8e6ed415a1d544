import { createHash } from 'node:crypto';
import type { FileVersion } from '../ports.js';

/**
 * The insert deduplication token of one file version: the same file, ETag and reset generation
 * always give the same token, so ClickHouse drops a redone insert; a reset gives a new one.
 */
export function dedupToken(file: Pick<FileVersion, 'tenant' | 'table' | 'key' | 'etag' | 'generation'>): string {
  return createHash('sha256')
    .update([file.tenant, file.table, file.key, file.etag, String(file.generation)].join('\n'))
    .digest('hex')
    .slice(0, 40);
}

/** How a loaded version is named in a ledger entry's `loadedVersions`: `etag/generation`. */
export const versionName = (file: Pick<FileVersion, 'etag' | 'generation'>) => `${file.etag}/${file.generation}`;

/** The version a `loadedVersions` name stands for. */
export function parseVersionName(name: string): Pick<FileVersion, 'etag' | 'generation'> {
  const at = name.lastIndexOf('/');
  return { etag: name.slice(0, at), generation: Number(name.slice(at + 1)) };
}

/**
 * The `_etag` lineage value of a load: the ETag, plus the reset generation after an operator
 * reset, so the rows of each deliberate reload are counted apart from the first load's.
 */
export function lineageEtag(etag: string, generation: number): string {
  return generation === 0 ? etag : `${etag}/reset-${generation}`;
}
