export * from './transaction-kind.js';
export * from './error-codes.js';
export * from './payment-data.js';
export * from './gateway.js';
