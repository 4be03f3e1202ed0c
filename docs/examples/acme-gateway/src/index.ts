import { AcmeGatewayPlugin } from './plugin.js';

// Hosts load the package by name: its default export is the plugin class (or a list of classes).
export default AcmeGatewayPlugin;
export { AcmeGatewayPlugin };
export { ACME_CONFIG_STRUCTURE, ACME_DEFAULT_CONFIGURATION } from './config.js';
export { ACME_TEST_TOKENS, AcmeClient, signAcmeWebhook, type AcmeCharge, type AcmeRefund, type AcmeErrorCode, type AcmeResult } from './processor.js';
export { handleAcmeWebhook, verifyAcmeSignature } from './webhooks.js';
