#!/usr/bin/env node
import { nodeTooOld } from './node-version.js';

const tooOld = nodeTooOld(process.version);
if (tooOld) {
  process.stderr.write(`${tooOld}\n`);
  process.exit(2);
}
// chDB queries run on libuv's thread pool; give it room before anything starts it.
process.env.UV_THREADPOOL_SIZE ??= '16';
// The modules' compiled code is kept on disk (Node's own cache, NODE_DISABLE_COMPILE_CACHE=1 turns
// it off), so each start of the CLI compiles less of the hundreds of modules it loads.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
// The bundle built from the sources as they are now (no TypeScript to compile), else the sources.
const { freshBundle } = await import('./cli-bundle.js');
const bundle = freshBundle(new URL('../', import.meta.url));
let cli;
if (bundle) cli = await import(bundle.href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli/main.ts');
}
process.exitCode = await cli.main(process.argv);
