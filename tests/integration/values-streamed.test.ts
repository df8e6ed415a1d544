import { valueSuite } from './value-cases.js';

// The streamed path reads the rows itself; Parquet cannot be streamed row by row.
valueSuite({ ONCELOAD_LOAD_PATH: 'streamed' }, { parquet: false });
