export * from './payhost-error.js';
