#!/usr/bin/env node
// chDB queries run on libuv's thread pool; give it room before anything starts it.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
