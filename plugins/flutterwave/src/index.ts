import { FlutterwaveGatewayPlugin } from './plugin.js';

export { FlutterwaveGatewayPlugin };
export { FLUTTERWAVE_CONFIG_STRUCTURE, FLUTTERWAVE_DEFAULT_CONFIGURATION, readSettings, txRefSecrets, type FlutterwaveSettings } from './config.js';
export { createClientToken, parseToken, resolveTransactionId, type FlutterwaveClientToken, type FlutterwaveToken } from './checkout.js';
export { FlutterwaveClient, FlutterwaveFailure, type FlutterwaveFailureKind } from './client.js';
export { loadSdk, wantedStatePath, STATE_FILE_NAME, type FlutterwaveSdk, type FlwTransaction, type FlwRefund, type FlwEnvelope } from './sdk.js';
export { mapFlutterwaveError, mapChargeFailure, FLUTTERWAVE_MESSAGE_CODES, type MappedError } from './errors.js';
export { toFlutterwaveAmount, fromFlutterwaveAmount } from './amounts.js';
export { issueTxRef, checkTxRef, type TxRefCheck, type IssuedAmount } from './tx-ref.js';
export { FLUTTERWAVE_FAILURES } from './responses.js';
export { handleWebhook } from './webhooks.js';
export { signatureMatches, verifHashMatches } from './webhook-auth.js';
export { META_PAYMENT_ID } from './verify.js';
export type { FlutterwaveTransactionRecord, ListTransactionsQuery } from './operations.js';

/** Hosts load the plugin by package name: `import('@payhost/plugin-flutterwave')` -> default export. */
export default FlutterwaveGatewayPlugin;
