import { chaosSuite } from './chaos.js';

chaosSuite('in-engine', {}, 100);
