// Runs s3rver in its own process. In the same process as chDB, s3() reads and s3rver's file
// I/O compete for libuv's thread pool and can deadlock; apart, they cannot.
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
process.send?.({ port });
// Leave with the parent, even when it was killed without a chance to stop us.
process.on('disconnect', () => process.exit(0));
