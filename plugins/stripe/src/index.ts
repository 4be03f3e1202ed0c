import { StripeGatewayPlugin } from './plugin.js';

export { StripeGatewayPlugin, type StripeHooks, type DeletePaymentSourceInput } from './plugin.js';
export { STRIPE_CONFIG_STRUCTURE, STRIPE_DEFAULT_CONFIGURATION, CONNECT_MODES, readSettings, parseEndpoint, type ConnectMode, type StripeSettings, type StripeEndpoint } from './config.js';
export { STRIPE_ERROR_CODES, unifiedErrorCode, describeStripeError, type StripeFailure } from './errors.js';
export { intentResponse, refundResponse, type IntentReading } from './status-mapping.js';
export { encodeRef, decodeRef, applicationFee, connectAuthorizeUrl, exchangeConnectCode, type AuthorizeUrlOptions, type ConnectedAccount, type ConnectTarget } from './connect.js';
export { toStripeAmount, fromStripeAmount, stripeExponent, STRIPE_ZERO_DECIMAL, STRIPE_THREE_DECIMAL } from './amounts.js';
export { parseFixedFee, type FixedFee } from './fixed-fee.js';
export { adoptionRefusal } from './adoption.js';
export { followUpSettleMs } from './reconcile.js';
export { handleWebhook } from './webhooks.js';
export { normalizeEvent, foreignAccount, HANDLED_EVENT_TYPES, type StripeGatewayEvent } from './events.js';

/** Hosts load the plugin by package name: `import('@payhost/plugin-stripe')` -> default export. */
export default StripeGatewayPlugin;
