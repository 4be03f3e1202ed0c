export * from './config-structure.js';
export * from './hooks.js';
export * from './base-plugin.js';
export * from './gateway-config.js';
export * from './responses.js';
export * from './plugin-id.js';
