/**
 * Writes one JSON-lines file of at least the given size for the benchmark's big-file mode. It
 * runs in its own process, so the rows it builds never count against the pipeline's memory.
 *
 *   tsx scripts/generate-big-file.ts <path> <bytes>
 */
import { createWriteStream } from 'node:fs';
import { demoRow, jsonLines } from '../src/local/demo-data.js';
import { CANONICAL_TABLES } from '../src/table-config.js';

const [path, size] = process.argv.slice(2);
const target = Number(size);
if (!path || !Number.isFinite(target)) throw new Error('usage: generate-big-file.ts <path> <bytes>');
const out = createWriteStream(path);
let bytes = 0;
let id = 0;
while (bytes < target) {
  const chunk = jsonLines(Array.from({ length: 10_000 }, () => demoRow(CANONICAL_TABLES.get('time_entries'), ++id, 1)));
  bytes += Buffer.byteLength(chunk);
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}
await new Promise<void>((resolve) => out.end(() => resolve()));
console.log(JSON.stringify({ bytes, rows: id }));
