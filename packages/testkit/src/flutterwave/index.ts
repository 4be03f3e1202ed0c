// Fake Flutterwave for tests: a loopback server the real `flutterwave-node-v3`
// SDK talks to (third constructor argument: `fake.baseUrl`, with its trailing
// slash), and the helpers for Inline results and webhooks.
export { FakeFlutterwave, type FakeFlutterwaveOptions, type FlutterwaveWebhookEvent, type LostAnswer } from './server.js';
export { flutterwaveWebhook, type FlutterwaveWebhookDelivery, type FlutterwaveInlineResult } from './signing.js';
export { FlutterwaveState, type FakeTransaction, type FakeTransactionStatus, type FakeFlutterwaveRefund, type FakeRefundStatus, type FakeRefundFinalStatus, type FakeRefundOngoingStatus, type FakeRefundWebhookData, type PayOptions } from './state.js';
export type { LoggedRequest, InjectedFailure } from '../loopback-json-server.js';
