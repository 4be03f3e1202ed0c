import { RazorpayGatewayPlugin } from './plugin.js';

export { RazorpayGatewayPlugin };
export { RAZORPAY_CONFIG_STRUCTURE, RAZORPAY_DEFAULT_CONFIGURATION, RAZORPAY_API_URL, readSettings, type RazorpaySettings } from './config.js';
export { createClientToken, parseCheckoutToken, resolvePaymentId, PAYMENT_ID_NOTE, IDEMPOTENCY_NOTE, type RazorpayClientToken, type RazorpayCheckoutToken } from './checkout.js';
export { createRazorpayClient, refundIdempotencyKey, NETWORK_ERROR_CODE, type RazorpayApi, type RzpOrder, type RzpPayment, type RzpRefund } from './client.js';
export { mapRazorpayError, mapPaymentFailure, mayHaveActed, readLeavesOpen, claimLeavesOpen, RAZORPAY_REASON_CODES, type MappedError } from './errors.js';
export { toRazorpayAmount, fromRazorpayAmount, RAZORPAY_THREE_DECIMAL_CURRENCIES } from './amounts.js';
export { verifyCheckoutSignature, verifyWebhookSignature, timingSafeEqualString } from './signature.js';
export { PAYMENT_SIG_NOTE, paymentNoteSignature } from './note-signature.js';
export { RAZORPAY_FAILURES } from './responses.js';
export { RAZORPAY_WEBHOOK_EVENTS, handleWebhook } from './webhooks.js';
export { followUpSettleMs } from './status.js';
export type { ListPaymentsQuery, RazorpayPaymentRecord } from './list-payments.js';
export type { RazorpayContext } from './operations.js';

/** Hosts load the plugin by package name: `import('@payhost/plugin-razorpay')` -> default export. */
export default RazorpayGatewayPlugin;
