// Fake Razorpay for tests: a loopback server the real `razorpay` SDK talks to,
// and the signing helpers for Checkout results and webhooks.
export { FakeRazorpay, type FakeRazorpayOptions, type CheckoutOptions, type RazorpayWebhookEvent } from './server.js';
export {
  razorpayCheckoutSignature,
  signedCheckoutResult,
  razorpayWebhookSignature,
  signRazorpayWebhook,
  type RazorpayCheckoutResult,
  type RazorpayWebhookDelivery,
} from './signing.js';
export { RazorpayState, type FakeOrder, type FakePayment, type FakePaymentStatus, type FakeRefund, type RazorpayErrorBody } from './state.js';
export type { LoggedRequest, InjectedFailure } from '../loopback-json-server.js';
