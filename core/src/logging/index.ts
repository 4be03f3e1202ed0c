export * from './logger.js';
export * from './key-refusal.js';
