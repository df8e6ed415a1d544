import { chaosSuite } from './chaos.js';

// Files of up to 2 KB in units, larger ones alone in chunks of 40 rows.
chaosSuite('streamed', { ONCELOAD_LOAD_PATH: 'streamed', ONCELOAD_STREAM_CHUNK_BYTES: '2048' }, 40);
