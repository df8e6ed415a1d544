/**
 * The CLI's bundle, built as `npm ci` builds it, is the CLI: it finds the project's files from
 * dist/ (package.json, the stores' process scripts) and answers as the sources do.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { freshBundle } from '../../bin/cli-bundle.js';

const root = new URL('../../', import.meta.url);

it('builds a bundle the CLI then runs, which starts the stores and answers like the sources', () => {
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-cli.ts'], { cwd: root, encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
  const bundle = freshBundle(root);
  expect(bundle).toBeDefined();
  const dataDir = mkdtempSync(join(tmpdir(), 'onceload-bundle-run-'));
  try {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(bundle!.href)}); process.exitCode = await main(['node', 'onceload', ...${JSON.stringify(args)}]);`], { encoding: 'utf8', timeout: 60_000 });
    const version = run(['--version']);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string }).version);
    // Starts both stores' processes from their scripts in src/local.
    const tenants = run(['tenants', 'add', 'acme', '--data-dir', dataDir]);
    expect(tenants.status, tenants.stderr).toBe(0);
    const listed = run(['tenants', 'list', '--data-dir', dataDir]);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('acme');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
