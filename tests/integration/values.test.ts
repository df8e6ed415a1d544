import { valueSuite } from './value-cases.js';

valueSuite({}, { parquet: true });
