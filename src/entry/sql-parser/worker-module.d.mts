// The types of worker-module.mjs, which scripts/build-worker-parser.mjs builds from module.ts.
export { createSqlParser } from './module.js';
