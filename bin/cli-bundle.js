// Plain JavaScript, like node-version.js: it decides what the CLI imports before any TypeScript runs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const BUNDLE = 'dist/onceload.mjs';
export const BUNDLE_SOURCES = 'dist/onceload.sources.json';

/** One digest of the files a bundle was built from, by path and content. */
export function sourcesDigest(root, files) {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) hash.update(`${file}\0`).update(readFileSync(new URL(file, root))).update('\0');
  return hash.digest('hex');
}

/**
 * The CLI's bundle (built on `npm ci` and by `npm run build`) when it was built from the sources
 * as they are now, else undefined: then the CLI runs the sources themselves. Compared by content,
 * not by time, so a checkout, a stash or a copied tree never runs code that is not there.
 */
export function freshBundle(root) {
  try {
    const { files, digest } = JSON.parse(readFileSync(new URL(BUNDLE_SOURCES, root), 'utf8'));
    return sourcesDigest(root, files) === digest ? new URL(BUNDLE, root) : undefined;
  } catch {
    // No bundle, or a source it was built from is gone.
    return undefined;
  }
}
