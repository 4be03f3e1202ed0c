export * from './contracts/index.js';
export * from './errors/index.js';
export * from './money/index.js';
export * from './plugin/index.js';
export * from './logging/index.js';
export * from './config/index.js';
export * from './manager/index.js';
export * from './loader/index.js';
