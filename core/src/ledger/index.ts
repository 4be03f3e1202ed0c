export * from './model.js';
export * from './store.js';
export * from './memory-store.js';
