export * from './types.js';
export * from './env.js';
export * from './file-only.js';
export * from './masking.js';
export * from './secret-endpoints.js';
export * from './plugin-settings.js';
export * from './host-config.js';
export * from './saved-settings.js';
