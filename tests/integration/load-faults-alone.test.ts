import { loadFaultSuite } from './load-faults.js';

loadFaultSuite('alone');
