import { epochSuite } from './epoch-cases.js';

// The streamed path reads the rows itself; Parquet cannot be streamed row by row.
epochSuite({ ONCELOAD_LOAD_PATH: 'streamed' }, { parquet: false });
