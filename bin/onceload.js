#!/usr/bin/env node
import { nodeTooOld } from './node-version.js';

const tooOld = nodeTooOld(process.version);
if (tooOld) {
  process.stderr.write(`${tooOld}\n`);
  process.exit(2);
}
// chDB queries run on libuv's thread pool; give it room before anything starts it.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
