export { createServer, type PayhostServer, type CreateServerOptions } from './server.js';
export { loadServerConfig, parseServerConfig, type ServerConfig } from './config.js';
export { buildApp, type AppOptions } from './app.js';
export { statusFor } from './http-errors.js';
export { checkStoreChoice, databaseOpenError, openStore, type DatabaseSource } from './store.js';
export { paymentJson, resultJson, reviewItemJson, transactionJson } from './serialize.js';
