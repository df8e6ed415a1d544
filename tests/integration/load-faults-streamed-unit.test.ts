import { loadFaultSuite } from './load-faults.js';

loadFaultSuite('streamed-unit');
