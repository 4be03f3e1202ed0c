export * from './plugin-loader.js';
export * from './plugin-validation.js';
