/**
 * Bundles the CLI (src/cli/main.ts and every module it imports; packages stay in node_modules)
 * into dist/onceload.mjs, with the digest of its sources beside it: bin/onceload.js runs the
 * bundle while the sources are unchanged, and the sources through tsx otherwise. Runs on
 * `npm ci` (prepare) and as `npm run build`.
 */
import { build } from 'esbuild';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUNDLE, BUNDLE_SOURCES, sourcesDigest } from '../bin/cli-bundle.js';

const root = new URL('../', import.meta.url);
const at = (path: string) => new URL(path, root);
mkdirSync(at('dist/'), { recursive: true });
// No digest while the bundle is rewritten: an interrupted build leaves the CLI on its sources.
rmSync(at(BUNDLE_SOURCES), { force: true });
const temporary = (path: string) => `${path}.${process.pid}.tmp`;
const { metafile } = await build({
  absWorkingDir: fileURLToPath(root),
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external',
  outfile: temporary(BUNDLE),
  metafile: true,
  logLevel: 'warning',
});
renameSync(at(temporary(BUNDLE)), at(BUNDLE));
const files = [...Object.keys(metafile.inputs), 'tsconfig.json'];
writeFileSync(at(temporary(BUNDLE_SOURCES)), `${JSON.stringify({ files, digest: sourcesDigest(root, files) })}\n`);
renameSync(at(temporary(BUNDLE_SOURCES)), at(BUNDLE_SOURCES));
console.log(`built ${BUNDLE} from ${files.length} sources`);
