/** The CLI runs its bundle only while the bundle was built from the sources as they are now. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BUNDLE, BUNDLE_SOURCES, freshBundle, sourcesDigest } from '../../bin/cli-bundle.js';

let dir: string;
let root: URL;
const write = (path: string, text: string) => {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'onceload-bundle-'));
  root = pathToFileURL(`${dir}/`);
  write('src/a.ts', 'export const a = 1;\n');
  write('src/b.ts', 'export const b = 2;\n');
  write(BUNDLE, 'export const main = () => 0;\n');
  const files = ['src/a.ts', 'src/b.ts'];
  write(BUNDLE_SOURCES, JSON.stringify({ files, digest: sourcesDigest(root, files) }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('runs the bundle built from the sources as they are', () => {
  expect(freshBundle(root)?.href).toBe(new URL(BUNDLE, root).href);
});

it('runs the sources once one of them changed, whatever its time says', () => {
  write('src/b.ts', 'export const b = 3;\n');
  expect(freshBundle(root)).toBeUndefined();
});

it('runs the sources when one the bundle was built from is gone, or when no digest is there', () => {
  rmSync(join(dir, 'src/a.ts'));
  expect(freshBundle(root)).toBeUndefined();
  write('src/a.ts', 'export const a = 1;\n');
  expect(freshBundle(root)).toBeDefined();
  rmSync(join(dir, BUNDLE_SOURCES));
  expect(freshBundle(root)).toBeUndefined();
});

it('tells files apart by path as well as content', () => {
  const files = ['src/a.ts', 'src/b.ts'];
  write('src/c.ts', 'export const a = 1;\n');
  expect(sourcesDigest(root, ['src/c.ts', 'src/b.ts'])).not.toBe(sourcesDigest(root, files));
});
