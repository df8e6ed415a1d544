import { configuredTableSuite } from './configured-tables.js';

configuredTableSuite();
