import { epochSuite } from './epoch-cases.js';

epochSuite({}, { parquet: true });
