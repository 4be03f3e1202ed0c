export { createServer, isStartStopped, type PayhostServer, type CreateServerOptions } from './server.js';
export { checkCheckoutExposure, checkDevelopmentKeys, loadServerConfig, parseServerConfig, PUBLIC_CHECKOUT_WARNING, SERVER_SECTION_KEYS, type ServerConfig } from './config.js';
export { buildApp, type AppOptions } from './app.js';
export { statusFor } from './http-errors.js';
export { loadPluginSettingsSync, PluginSettingsSync } from './plugin-settings-sync.js';
export { openSettings, type SettingsCipher } from './settings-cipher.js';
export type { OpenStoreOptions } from './store.js';
export { checkStoreChoice, databaseOpenError, openStore, type DatabaseSource } from './store.js';
export { paymentJson, resultJson, reviewItemJson, transactionJson } from './serialize.js';
