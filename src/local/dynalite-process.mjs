// Runs dynalite (the local DynamoDB) in its own process: its request handling and LevelDB work
// (about a third of the main thread's CPU in a first run) then run beside the pipeline's own
// JavaScript instead of between its steps.
import dynalite from 'dynalite';
import { createRequire } from 'node:module';
import { cacheExpressionParses } from './dynalite-expression-cache.mjs';

const dynaliteRequire = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const { Level } = dynaliteRequire('level');
cacheExpressionParses(
  dynaliteRequire('./db/conditionParser'),
  dynaliteRequire('./db/updateParser'),
  dynaliteRequire('./db/projectionParser'),
);
const [path] = process.argv.slice(2);

// A process left by a holder that was killed lets go of the database as soon as it notices its
// parent is gone; until then LevelDB's lock is still held, and the open waits for it.
for (let waited = 0; ; waited += 50) {
  const probe = new Level(path);
  try {
    await probe.open();
    await probe.close();
    break;
  } catch (error) {
    if (waited >= 10_000) throw error;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (error) => {
  process.send?.({ error: String(error?.message ?? error) });
  process.exit(1);
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));

// Closed on request (the database is closed before exit), and with the parent, even when it was killed.
const close = () => {
  // Idle keep-alive connections of the parent's clients would hold the close up.
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', close);
process.on('disconnect', close);
