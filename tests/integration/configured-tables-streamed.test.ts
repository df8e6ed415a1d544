import { configuredTableSuite } from './configured-tables.js';

// The streamed path checks the rows itself, against the same configured columns and rules.
configuredTableSuite({ ONCELOAD_LOAD_PATH: 'streamed' });
